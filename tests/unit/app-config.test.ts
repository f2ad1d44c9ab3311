import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/config';

const dir = () => mkdtempSync(path.join(tmpdir(), 'cs-config-'));

describe('configuration', () => {
  it('has embedded defaults: ./data, port 3000, localhost, and the demo repository', () => {
    const cwd = dir();
    const c = loadConfig({ env: {}, cwd });
    expect(c).toMatchObject({
      dataDir: path.join(cwd, 'data'),
      port: 3000,
      rpId: 'localhost',
      rpName: 'Countersign',
      origins: ['http://localhost:3000'],
      publicUrl: 'http://localhost:3000',
      databaseUrl: null,
      demo: true,
      adminEmail: 'admin@localhost',
    });
    expect(c.repositories).toEqual([{ name: 'demo', remote: path.join(cwd, 'data', 'demo-remote.git') }]);
  });

  it('follows PORT for the default origin', () => {
    expect(loadConfig({ env: { PORT: '3201' }, cwd: dir() }).origins).toEqual(['http://localhost:3201']);
  });

  it('reads ./countersign.config.json, resolving local remotes against its folder; env overrides the file', () => {
    const cwd = dir();
    writeFileSync(
      path.join(cwd, 'countersign.config.json'),
      JSON.stringify({
        rpId: 'sign.example.org',
        origins: ['https://sign.example.org'],
        dataDir: '/var/lib/countersign',
        repositories: [
          { name: 'app', remote: 'git@github.com:acme/app.git' },
          { name: 'lib', remote: '../remotes/lib.git', notesRef: 'refs/notes/countersign', policyRef: 'refs/remotes/origin/release' },
        ],
      }),
    );
    const c = loadConfig({ env: { DATABASE_URL: 'postgres://db/cs' }, cwd });
    expect(c.rpId).toBe('sign.example.org');
    expect(c.publicUrl).toBe('https://sign.example.org');
    expect(c.databaseUrl).toBe('postgres://db/cs');
    expect(c.demo).toBe(false);
    expect(c.repositories.map((r) => r.remote)).toEqual(['git@github.com:acme/app.git', path.resolve(cwd, '../remotes/lib.git')]);
    expect(loadConfig({ env: { COUNTERSIGN_DATA_DIR: 'elsewhere' }, cwd }).dataDir).toBe(path.join(cwd, 'elsewhere'));
  });

  it.each([
    [{ port: 'x' }, /port|expected number/i],
    [{ origins: ['https://sign.example.org/'] }, /origin/],
    [{ origins: ['https://a.example.org'], rpId: 'b.example.org' }, /not on the RP ID/],
    [{ origins: ['http://sign.example.org'], rpId: 'sign.example.org' }, /passkeys need https/],
    [{ repositories: [{ name: 'a/b', remote: 'x' }] }, /cannot contain "\/"/],
    [{ repositories: [{ name: 'a', remote: 'x', notesRef: 'refs/heads/main' }] }, /refs\/notes/],
    [{ repositories: [{ name: 'a', remote: 'x' }, { name: 'a', remote: 'y' }] }, /configured twice/],
    [{ unknownKey: true }, /unrecognized key|unknownKey/i],
    // The name is a URL segment and the folder of the server's clone: no way out of the clones.
    [{ repositories: [{ name: '..', remote: 'x' }] }, /repositories\.0\.name: a repository cannot be named "\." or "\.\."/],
    [{ repositories: [{ name: '.', remote: 'x' }] }, /cannot be named "\." or "\.\."/],
    [{ repositories: [{ name: 'a/../b', remote: 'x' }] }, /cannot contain "\/"/],
    [{ repositories: [{ name: 'a\\b', remote: 'x' }] }, /cannot contain "\/" or "\\"/],
    [{ trustProxy: ['10.0.0.0/40'] }, /trustProxy: "10\.0\.0\.0\/40" has a bad prefix length/],
    [{ trustProxy: 'proxy.example' }, /trustProxy: "proxy\.example" is not an IP address/],
  ])('refuses a bad file with a message naming the problem: %j', (file, message) => {
    const cwd = dir();
    writeFileSync(path.join(cwd, 'countersign.config.json'), JSON.stringify(file));
    expect(() => loadConfig({ env: {}, cwd })).toThrow(message);
  });

  it('refuses bad JSON, a missing explicit file and a bad PORT', () => {
    const cwd = dir();
    writeFileSync(path.join(cwd, 'bad.json'), '{ nope');
    expect(() => loadConfig({ env: { COUNTERSIGN_CONFIG: 'bad.json' }, cwd })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ env: { COUNTERSIGN_CONFIG: 'missing.json' }, cwd })).toThrow(/does not exist/);
    expect(() => loadConfig({ env: { PORT: '99999' }, cwd })).toThrow(/not a port/);
    expect(() => loadConfig({ env: { COUNTERSIGN_ADMIN_EMAIL: 'root' }, cwd })).toThrow(/not an e-mail/);
    expect(() => loadConfig({ env: { COUNTERSIGN_TRUST_PROXY: 'loopback,nope' }, cwd })).toThrow(/environment.*trustProxy: "nope"/);
  });

  it('trustProxy: none by default; a list or "loopback" from the file, a comma-separated list from the environment', () => {
    const cwd = dir();
    expect(loadConfig({ env: {}, cwd }).trustProxy).toEqual([]);
    writeFileSync(path.join(cwd, 'countersign.config.json'), JSON.stringify({ trustProxy: 'loopback' }));
    expect(loadConfig({ env: {}, cwd }).trustProxy).toEqual(['loopback']);
    expect(loadConfig({ env: { COUNTERSIGN_TRUST_PROXY: '10.0.0.1, fd00::/8' }, cwd }).trustProxy).toEqual(['10.0.0.1', 'fd00::/8']);
  });
});
