/**
 * `npm start` (scripts/start.mjs) honours the configuration file: the app listens on the file's
 * `port` and the links it prints use it; a mistake in the file stops it with one line, before any
 * build. A real process: the production build the browser tests use (.next-e2e, built first if
 * absent), under the lock that keeps two builds of it from overlapping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const DIST = '.next-e2e';
let dir: string;
const started: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** `npm start`'s script with this configuration file (no PORT in the environment). */
function start(config: string, args: string[], opts: { locked?: boolean } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, COUNTERSIGN_CONFIG: config, NEXT_DIST_DIR: DIST, NEXT_TELEMETRY_DISABLED: '1' };
  delete env.PORT;
  delete env.COUNTERSIGN_PORT;
  const cmd = opts.locked ? ['flock', ['/tmp/countersign-e2e.lock', process.execPath, 'scripts/start.mjs', ...args]] : [process.execPath, ['scripts/start.mjs', ...args]];
  const child = spawn(cmd[0] as string, cmd[1] as string[], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const out = { text: '' };
  child.stdout!.on('data', (d) => (out.text += d));
  child.stderr!.on('data', (d) => (out.text += d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  return { child, out, exited };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cs-start-'));
});
afterAll(async () => {
  for (const c of started) {
    try {
      if (c.exitCode === null) process.kill(-c.pid!, 'SIGTERM'); // its whole process group: flock, node, next
    } catch {
      /* already gone */
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('listens on the port of the configuration file, and the links it prints use that port', async () => {
    const port = await freePort();
    const config = path.join(dir, 'countersign.config.json');
    await writeFile(config, JSON.stringify({ port, dataDir: path.join(dir, 'data'), adminEmail: 'ops@example.org' }));
    const built = existsSync(path.join(ROOT, DIST, 'BUILD_ID'));
    const { out, exited } = start(config, built ? ['--no-build'] : [], { locked: true });
    const invite = new RegExp(`http://localhost:${port}/invite/[A-Za-z0-9_-]+`);
    const end = Date.now() + 15 * 60_000;
    let status = 0;
    while (Date.now() < end) {
      const exit = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 500))]);
      if (exit !== null) throw new Error(`npm start exited (${exit}):\n${out.text}`);
      status = await fetch(`http://localhost:${port}/api/repos`).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 0 && invite.test(out.text)) break;
    }
    // Listening on the file's port: the API answers there (repositories need a signed-in user).
    expect(status).toBe(401);
    expect(out.text).toMatch(invite);
    expect(out.text).not.toMatch(/localhost:3000/);
  }, 20 * 60_000);

  it('stops before building, with one line, when the configuration file is wrong', async () => {
    const config = path.join(dir, 'bad.config.json');
    await writeFile(config, JSON.stringify({ port: 'eighty' }));
    const { out, exited } = start(config, []);
    expect(await exited).toBe(1);
    expect(out.text.trim()).toBe(`countersign: cannot start: configuration (${config}): port: Invalid input: expected number, received string`);
  }, 60_000);
});
