import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDataDirLock, lockHolder, lockPath, readLock } from '../../lib/store/lock';

const dir = () => mkdtempSync(path.join(tmpdir(), 'cs-lock-'));

describe('data directory lock (PGlite allows one process per directory)', () => {
  it('is taken once, refused a second time in the same process, and released', () => {
    const d = dir();
    const lock = acquireDataDirLock(d, 'server', '/tmp/x.sock');
    expect(readLock(d)).toMatchObject({ pid: process.pid, role: 'server', socket: '/tmp/x.sock' });
    expect(lockHolder(d)).toMatchObject({ pid: process.pid });
    expect(() => acquireDataDirLock(d, 'cli')).toThrow(/already open in this process/);
    lock.release();
    expect(readLock(d)).toBeNull();
    expect(lockHolder(d)).toBeNull();
    acquireDataDirLock(d, 'cli').release();
  });

  it('refuses while another live process holds it, naming that process', () => {
    const d = dir();
    // pid 1 is always alive (init); it stands in for a running server.
    writeFileSync(lockPath(d), JSON.stringify({ pid: 1, since: '2026-01-01T00:00:00Z', role: 'server', socket: '/tmp/s.sock' }));
    expect(lockHolder(d)).toMatchObject({ pid: 1, socket: '/tmp/s.sock' });
    expect(() => acquireDataDirLock(d, 'cli')).toThrow(/in use by process 1 \(server/);
  });

  it('takes over a lock left by a process that died', () => {
    const d = dir();
    writeFileSync(lockPath(d), JSON.stringify({ pid: 2 ** 22 + 12345, since: '2026-01-01T00:00:00Z', role: 'server' }));
    expect(lockHolder(d)).toBeNull();
    const lock = acquireDataDirLock(d, 'cli');
    expect(readLock(d)).toMatchObject({ pid: process.pid, role: 'cli' });
    lock.release();
  });

  it('treats a torn lock file as stale', () => {
    const d = dir();
    writeFileSync(lockPath(d), '{"pid":');
    acquireDataDirLock(d, 'server').release();
  });
});
