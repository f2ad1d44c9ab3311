/**
 * The same app on a real PostgreSQL (DATABASE_URL) instead of embedded PGlite, and two app
 * instances sharing it: a challenge issued by one is completed on the other, and both push
 * notes to one remote; an instance whose LISTEN connection drops reconnects. Needs PostgreSQL's
 * initdb/postgres binaries (tests/integration/instances-harness.ts starts a throwaway cluster);
 * skipped (saying so) without them, a failure under CI. The multi-process suite is instances-*.test.ts.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../lib/server/app';
import { approveOptions, approveVerify } from '../../lib/server/approve';
import { loadConfig } from '../../lib/config/config';
import { instanceOf } from '../../lib/instances';
import { getAssertion, toAuthenticationResponseJSON } from '../support/soft-authenticator';
import { approve, enroll, gitIn, ORIGIN, remoteNoteLines } from './app-harness';
import { sleep, startCluster, type Cluster } from './instances-harness';

let cluster: Cluster;
let root: string;
let url = '';
let skipReason: string | null = null;
const apps: App[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  skipReason = cluster.skipReason;
  if (skipReason) return;
  url = cluster.url();
  root = mkdtempSync(path.join(tmpdir(), 'cs-pg-app-'));
}, 60_000);

afterAll(async () => {
  for (const a of apps) await a.close();
  await cluster?.stop();
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

  it('an instance whose LISTEN connection is cut reconnects: it is alive again and hears of the next line', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const [a, b] = apps;
    const ia = instanceOf(a)!;
    const ib = instanceOf(b)!;
    expect(await ib.alive(ia.id)).toBe(true);
    // As a database restart or failover would: the server ends A's connection.
    const pids = async () => (await b.db.query<{ pid: number }>(`select pid from pg_stat_activity where application_name = $1`, [`countersign-instance-${ia.id}`])).map((r) => r.pid);
    const [before] = await pids();
    await b.db.query('select pg_terminate_backend($1)', [before]);
    for (let i = 0; i < 100; i++) {
      const now = await pids();
      if (now.length === 1 && now[0] !== before) break;
      await sleep(50);
    }
    expect((await pids()).filter((p) => p !== before)).toHaveLength(1);
    expect(await ib.alive(ia.id)).toBe(true);

    const remote = path.join(root, 'a', 'demo-remote.git');
    const commits = (await gitIn(remote, 'rev-list', '--reverse', 'main')).trim().split('\n');
    const bob = await enroll(b, 'bob@example.org');
    await a.repo('demo').refresh({ maxAgeMs: 0 }); // A is fresh: only a notification makes it fetch again soon
    const { result } = await approve(b, bob.user, bob.passkey, commits[1]);
    expect(result.status).toBe('published');
    const aClone = a.repo('demo').dir;
    let seen = false;
    for (let i = 0; i < 60 && !seen; i++) {
      seen = (await gitIn(aClone, 'notes', '--ref=refs/notes/countersign', 'show', commits[1]).catch(() => '')).includes(result.line);
      if (!seen) await sleep(50);
    }
    expect(seen).toBe(true);
  });
});
