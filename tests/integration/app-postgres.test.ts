/**
 * The same app on a real PostgreSQL (DATABASE_URL) instead of embedded PGlite, and two app
 * instances sharing it: a challenge issued by one is completed on the other, and both push
 * notes to one remote. Needs PostgreSQL's initdb/postgres binaries; skipped (saying so) without them.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../lib/server/app';
import { approveOptions, approveVerify } from '../../lib/server/approve';
import { loadConfig } from '../../lib/config/config';
import { getAssertion, toAuthenticationResponseJSON } from '../support/soft-authenticator';
import { enroll, gitIn, ORIGIN, remoteNoteLines } from './app-harness';

const execFileP = promisify(execFile);

function findBin(name: string): string | null {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin']) {
    if (d && existsSync(path.join(d, name))) return path.join(d, name);
  }
  return null;
}
const INITDB = findBin('initdb');
const POSTGRES = findBin('postgres');
const isRoot = userInfo().uid === 0;
/** PostgreSQL refuses to run as root: as root, run it as the "postgres" user. */
const asUser = async () => {
  if (!isRoot) return null;
  try {
    await execFileP('id', ['postgres']);
    return 'postgres';
  } catch {
    return undefined;
  }
};

let root: string;
let server: ChildProcess | null = null;
let url = '';
let skipReason: string | null = INITDB && POSTGRES ? null : 'PostgreSQL binaries (initdb, postgres) not found';
const apps: App[] = [];

/** setpriv execs in place (no intermediate process), so signals reach postgres itself. */
function wrap(user: string | null | undefined, cmd: string, args: string[]): [string, string[]] {
  return user ? ['setpriv', [`--reuid=${user}`, `--regid=${user}`, '--init-groups', cmd, ...args]] : [cmd, args];
}

// In CI a skip would hide a missing install step (.ci/run installs PostgreSQL): there it is a failure.
if (skipReason && process.env.CI) throw new Error(`${skipReason}; .ci/run should have installed PostgreSQL`);

beforeAll(async () => {
  if (skipReason) return;
  const user = await asUser();
  if (user === undefined) {
    skipReason = 'running as root without a "postgres" user to run PostgreSQL as';
    if (process.env.CI) throw new Error(`${skipReason}; .ci/run should have installed PostgreSQL`);
    return;
  }
  root = mkdtempSync(path.join(tmpdir(), 'cs-pg-'));
  const pgdata = path.join(root, 'pgdata');
  const sock = mkdtempSync(path.join(tmpdir(), 'cs-pgsock-'));
  if (user) {
    const { stdout } = await execFileP('id', ['-u', user]);
    const uid = Number(stdout.trim());
    chmodSync(root, 0o777);
    chownSync(sock, uid, -1);
  }
  const [c1, a1] = wrap(user, INITDB!, ['-D', pgdata, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  await execFileP(c1, a1);
  const [c2, a2] = wrap(user, POSTGRES!, ['-D', pgdata, '-k', sock, '-c', "listen_addresses=", '-c', 'fsync=off', '-p', '54329']);
  server = spawn(c2, a2, { stdio: 'ignore' });
  url = `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(sock)}&port=54329`;
  const pg = (await import('pg')).default;
  for (let i = 0; ; i++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}, 60_000);

afterAll(async () => {
  for (const a of apps) await a.close();
  // Let the backends see the clients' goodbyes before the server's fast shutdown.
  await new Promise((r) => setTimeout(r, 200));
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGINT'); // fast shutdown
    await exited;
  }
  if (root) await rm(root, { recursive: true, force: true });
});

describe('on PostgreSQL', () => {
  it('two app instances share one database and one remote', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const a = await openApp(loadConfig({ env: { DATABASE_URL: url, COUNTERSIGN_DATA_DIR: path.join(root, 'a'), PORT: '3000' }, cwd: root }), { log: () => {} });
    apps.push(a);
    expect(a.db.kind).toBe('postgres');
    const remote = path.join(root, 'a', 'demo-remote.git');
    const cfg = path.join(root, 'b.json');
    writeFileSync(cfg, JSON.stringify({ dataDir: path.join(root, 'b'), repositories: [{ name: 'demo', remote }] }));
    const b = await openApp(loadConfig({ env: { DATABASE_URL: url, COUNTERSIGN_CONFIG: cfg, PORT: '3000' }, cwd: root }), { log: () => {} });
    apps.push(b);

    const commits = (await gitIn(remote, 'rev-list', '--reverse', 'main')).trim().split('\n');
    // Enrolled through instance A, approving through A and B alternately.
    const alice = await enroll(a, 'alice@example.org');
    const opts = await approveOptions(a, alice.user, 'demo', commits[4], { verdict: 'approve' });
    const assertion = getAssertion(alice.passkey, { challenge: new Uint8Array(Buffer.from(opts.options.challenge, 'base64url')), origin: ORIGIN });
    const onB = await approveVerify(b, alice.user, 'demo', commits[4], { approvalId: opts.approvalId, response: toAuthenticationResponseJSON(assertion) as any });
    expect(onB.status).toBe('published');
    // The challenge was used once, whichever instance saw it.
    await expect(
      approveVerify(a, alice.user, 'demo', commits[4], { approvalId: opts.approvalId, response: toAuthenticationResponseJSON(assertion) as any }),
    ).rejects.toThrow(/already used/);

    const opts2 = await approveOptions(b, alice.user, 'demo', commits[3], { verdict: 'approve' });
    const a2 = getAssertion(alice.passkey, { challenge: new Uint8Array(Buffer.from(opts2.options.challenge, 'base64url')), origin: ORIGIN });
    const onA = await approveVerify(a, alice.user, 'demo', commits[3], { approvalId: opts2.approvalId, response: toAuthenticationResponseJSON(a2) as any });
    expect(onA.status).toBe('published');

    expect(await remoteNoteLines(remote, commits[4])).toEqual([onB.line]);
    expect(await remoteNoteLines(remote, commits[3])).toEqual([onA.line]);

    // A double tap whose two approvals reach different instances at once: one line between them.
    const taps = await Promise.all([a, b].map((app) => approveOptions(app, alice.user, 'demo', commits[2], { verdict: 'approve' })));
    const answers = await Promise.all(
      [b, a].map((app, i) => {
        const t = getAssertion(alice.passkey, { challenge: new Uint8Array(Buffer.from(taps[i].options.challenge, 'base64url')), origin: ORIGIN });
        return approveVerify(app, alice.user, 'demo', commits[2], { approvalId: taps[i].approvalId, response: toAuthenticationResponseJSON(t) as any });
      }),
    );
    expect(answers.map((x) => x.status).sort()).toEqual(['already', 'published']);
    expect(answers[0].line).toBe(answers[1].line);
    expect(await remoteNoteLines(remote, commits[2])).toEqual([answers[0].line]);
  });
});
