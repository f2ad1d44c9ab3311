import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, runAdminOperation } from '../../lib/server/app';
import { getInbox } from '../../lib/server/inbox';
import { usableInvite } from '../../lib/auth/invites';
import { lockHolder } from '../../lib/store/lock';
import { loadConfig } from '../../lib/config/config';
import { enroll, startHarness, type Harness } from './app-harness';

const execFileP = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
/** tsx's loader by absolute URL: the scripts run from a temp dir, outside node_modules' reach. */
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Runs a CLI command module in another process, as `npx countersign <cmd>` would. */
async function cli(module: 'invite' | 'request', args: string[]) {
  const script = path.join(h.root, `run-${module}.mts`);
  await writeFile(
    script,
    `import { command } from ${JSON.stringify(path.join(ROOT, `lib/cli/commands/${module}.ts`))};\n` +
      `import { processIO } from ${JSON.stringify(path.join(ROOT, 'lib/cli/io.ts'))};\n` +
      `try { process.exitCode = await command.run(${JSON.stringify(args)}, processIO()); } catch (e) { console.error('countersign: ' + e.message); process.exitCode = 1; }\n`,
  );
  try {
    const { stdout, stderr } = await execFileP(process.execPath, ['--import', TSX, script], {
      cwd: h.root,
      env: { ...process.env, COUNTERSIGN_DATA_DIR: h.config.dataDir, PORT: '3000' },
    });
    return { code: 0, stdout, stderr };
  } catch (e: any) {
    return { code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string };
  }
}

describe('the CLI and the running server share one embedded database', () => {
  it('the server holds the data directory and advertises its control socket', () => {
    const holder = lockHolder(h.config.dataDir);
    expect(holder).toMatchObject({ pid: process.pid, role: 'server' });
    expect(holder!.socket).toMatch(/control\.sock$/);
  });

  it('`countersign invite` in another process goes through the running server', async () => {
    const r = await cli('invite', ['rita@example.org', '--admin']);
    expect(r.stderr).toMatch(/one-time invite for rita@example\.org \(admin\)/);
    expect(r.code).toBe(0);
    const url = r.stdout.trim();
    expect(url).toMatch(/^http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]{43}$/);
    const invite = await usableInvite(h.app, url.split('/').pop()!);
    expect(invite).toMatchObject({ email: 'rita@example.org', isAdmin: true });
  });

  it('`countersign request` in another process puts the commit in the inbox', async () => {
    const viewer = (await enroll(h.app, 'sam@example.org')).user;
    const r = await cli('request', ['--repo', 'demo', h.commits[2], '--by', 'release-bot']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`http://localhost:3000/r/demo/${h.commits[2]}`);
    expect((await getInbox(h.app, viewer))[0]).toMatchObject({ commit: h.commits[2], requestedBy: 'release-bot' });
    const bad = await cli('request', ['--repo', 'demo', 'b'.repeat(40)]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/not in repository "demo"/);
  });

  it('another process cannot open the database while the server holds it', async () => {
    const script = path.join(h.root, 'open.mts');
    await writeFile(
      script,
      `import { openStore } from ${JSON.stringify(path.join(ROOT, 'lib/store/open.ts'))};\n` +
        `try { await openStore({ dataDir: ${JSON.stringify(h.config.dataDir)}, databaseUrl: null }, 'cli'); console.log('opened'); } catch (e) { console.log(e.code + ': ' + e.message); }\n`,
    );
    const { stdout } = await execFileP(process.execPath, ['--import', TSX, script], { cwd: h.root });
    expect(stdout).toMatch(new RegExp(`^conflict: .*in use by process ${process.pid} \\(server`));
  });

  it('a second open in the same process is refused too', async () => {
    await expect(openApp(h.config, { log: () => {} })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('with no server running, the CLI opens the database briefly itself', async () => {
    await h.app.close();
    expect(lockHolder(h.config.dataDir)).toBeNull();
    const r = await cli('invite', ['tom@example.org', '--hours', '2']);
    expect(r.code).toBe(0);
    expect(lockHolder(h.config.dataDir)).toBeNull();
    h.app = await openApp(h.config, { log: () => {} });
    const invite = await usableInvite(h.app, r.stdout.trim().split('/').pop()!);
    expect(Date.parse(invite.expiresAt) - Date.now()).toBeLessThanOrEqual(2 * 3600_000);
    expect(await runAdminOperation(h.config, { op: 'ping' })).toEqual({ pid: process.pid });
  });
});

describe('the data directory and the control socket are private, and the socket does not outlive the server', () => {
  const mode = (p: string) => statSync(p).mode & 0o777;

  it('a data directory that existed with a wider mode is made 0700; the socket is 0600 in it', async () => {
    const dataDir = path.join(h.root, 'wide');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const app = await openApp(loadConfig({ env: { COUNTERSIGN_DATA_DIR: dataDir, PORT: '3000' }, cwd: h.root }), { log: () => {} });
    try {
      expect(mode(dataDir)).toBe(0o700);
      const socket = lockHolder(dataDir)!.socket!;
      expect(socket).toBe(path.join(dataDir, 'control.sock'));
      expect(mode(socket)).toBe(0o600);
    } finally {
      await app.close();
    }
    expect(existsSync(path.join(dataDir, 'control.sock'))).toBe(false);
  });

  it('for a data path too long for a socket, a private 0700 directory of unpredictable name, removed on close', async () => {
    const dataDir = path.join(h.root, 'x'.repeat(60), 'y'.repeat(60));
    const one = await openApp(loadConfig({ env: { COUNTERSIGN_DATA_DIR: dataDir, PORT: '3000' }, cwd: h.root }), { log: () => {} });
    const socket = lockHolder(dataDir)!.socket!;
    await one.close();
    const two = await openApp(loadConfig({ env: { COUNTERSIGN_DATA_DIR: dataDir, PORT: '3000' }, cwd: h.root }), { log: () => {} });
    const again = lockHolder(dataDir)!.socket!;
    try {
      expect(path.dirname(path.dirname(socket))).toBe(tmpdir());
      expect(again).not.toBe(socket); // not a name someone could create first
      expect(mode(path.dirname(again))).toBe(0o700);
      expect(mode(again)).toBe(0o600);
      expect(existsSync(path.dirname(socket))).toBe(false);
      expect(await runAdminOperation(two.config, { op: 'ping' })).toEqual({ pid: process.pid });
    } finally {
      await two.close();
    }
    expect(existsSync(path.dirname(again))).toBe(false);
  });

  it('a server process that exits normally (as next start does on SIGTERM) leaves no socket behind', async () => {
    const dataDir = path.join(h.root, 'exits');
    const script = path.join(h.root, 'exits.mts');
    await writeFile(
      script,
      `import { openApp } from ${JSON.stringify(path.join(ROOT, 'lib/server/app.ts'))};\n` +
        `import { loadConfig } from ${JSON.stringify(path.join(ROOT, 'lib/config/config.ts'))};\n` +
        `import { existsSync } from 'node:fs';\n` +
        `await openApp(loadConfig({ env: { COUNTERSIGN_DATA_DIR: ${JSON.stringify(dataDir)}, PORT: '3000' } }), { log: () => {} });\n` +
        `console.log(existsSync(${JSON.stringify(path.join(dataDir, 'control.sock'))}) ? 'listening' : 'no socket');\n` +
        `process.exit(0);\n`,
    );
    const { stdout } = await execFileP(process.execPath, ['--import', TSX, script], { cwd: h.root });
    expect(stdout.trim()).toBe('listening');
    expect(existsSync(path.join(dataDir, 'control.sock'))).toBe(false);
  });
});
