/**
 * Bad input to the CLI: one clear `countersign: …` line on stderr, a non-zero exit (2 for bad
 * input), never a stack trace, and nothing written (notes refs and output directories untouched).
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNoteLine } from '../../lib/notes/line';
import { formatPublicKey } from '../../lib/ssh/public-key';
import { statementBytes } from '../../lib/statement/statement';
import { expectOneLineError, runCli } from '../support/cli';
import { createDemoRepo, git, type DemoRepo } from '../support/demo-repo';
import { createSoftSshKey, softSshSig, type SoftSshKey } from '../support/soft-authenticator';
import { makeKey, makeTempDir, type KeygenKey } from '../support/ssh-keygen';

const NAMESPACE = 'countersign-review@countersign.dev';
const NOTES = 'refs/notes/countersign';

let tmp: { dir: string; cleanup: () => Promise<void> };
let demo: DemoRepo;
let noPolicy: DemoRepo;
let brokenPolicy: DemoRepo;
let bobKey: KeygenKey;
const bob = createSoftSshKey('ed25519');
const carol = createSoftSshKey('ecdsa');

beforeAll(async () => {
  tmp = await makeTempDir('countersign-cli-errors-');
  bobKey = await makeKey(tmp.dir, 'ed25519', 'bob');
  const signers = [
    { principal: 'bob@example.org', publicKey: formatPublicKey(bob.sshKey) },
    { principal: 'carol@example.org', publicKey: formatPublicKey(carol.sshKey) },
    { principal: 'bob@example.org', publicKey: bobKey.publicKeyText },
  ];
  [demo, noPolicy, brokenPolicy] = await Promise.all([
    createDemoRepo({ signers }),
    createDemoRepo({ signers, policy: null }),
    createDemoRepo({ signers, policyText: '{ "repository": "demo/widgets", "threshold": 2, "requireUserVerificaton": false }\n' }),
  ]);
});

afterAll(async () => {
  await Promise.all([demo, noPolicy, brokenPolicy].map((d) => d?.cleanup()));
  await tmp?.cleanup();
});

/** Every ref in the clone and the remote: what "nothing written" is checked against. */
async function refs(d: DemoRepo): Promise<string> {
  return (await git(['for-each-ref'], d.clone)) + '\n--\n' + (await git(['for-each-ref'], d.remote));
}

async function expectNothingWritten(d: DemoRepo, action: () => Promise<void>) {
  const before = await refs(d);
  await action();
  expect(await refs(d)).toBe(before);
  expect(before).not.toContain('refs/notes/');
}

describe('usage errors', () => {
  it('an unknown option is named, exit 2', async () => {
    const r = await runCli(['verify', '--repo', demo.clone, '--frobnicate', demo.commits[0].id]);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toBe('countersign: verify: unknown option --frobnicate (see countersign verify --help)');
  });

  it('an unknown command lists the commands, exit 2', async () => {
    const r = await runCli(['approve']);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/unknown command "approve" \(commands: sign, verify, verify-sig, export/);
  });

  it('a missing required option or a bad option value, exit 2', async () => {
    const noKey = await runCli(['sign', '--repo', demo.clone, '--identity', 'bob@example.org', demo.commits[0].id]);
    expect(noKey.code).toBe(2);
    expect(expectOneLineError(noKey)).toMatch(/--key is required/);
    const badThreshold = await runCli(['verify', '--repo', demo.clone, '--threshold', 'two', demo.commits[0].id]);
    expect(badThreshold.code).toBe(2);
    expect(expectOneLineError(badThreshold)).toMatch(/--threshold must be a whole number/);
  });
});

describe('commits', () => {
  it('a non-hex commit and an unknown commit are refused, exit 2, nothing signed', async () => {
    await expectNothingWritten(demo, async () => {
      const nonHex = await runCli(['sign', '--repo', demo.clone, '--key', bobKey.privatePath, '--identity', 'bob@example.org', 'zzzz']);
      expect(nonHex.code).toBe(2);
      expect(expectOneLineError(nonHex)).toMatch(/zzzz/);
      const unknown = await runCli(['verify', '--repo', demo.clone, '--no-fetch', 'de'.repeat(20)]);
      expect(unknown.code).toBe(2);
      expect(expectOneLineError(unknown)).toBe(`countersign: commit ${'de'.repeat(20)} is not in ${demo.clone} (fetch it first, or check the id)`);
    });
  });

  it('verify resolves every commit before printing anything', async () => {
    const r = await runCli(['verify', '--repo', demo.clone, '--no-fetch', demo.commits[0].id, 'no-such-branch']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectOneLineError(r);
  });
});

describe('policy', () => {
  it('a missing policy names the trusted ref, exit 2', async () => {
    const r = await runCli(['verify', '--repo', noPolicy.clone, noPolicy.commits[0].id]);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/^countersign: no \.countersign\/policy\.json on origin\/main \([0-9a-f]{12}\); commit one there/);
  });

  it('a broken policy names the field; sign writes nothing', async () => {
    await expectNothingWritten(brokenPolicy, async () => {
      const r = await runCli(['sign', '--repo', brokenPolicy.clone, '--key', bobKey.privatePath, '--identity', 'bob@example.org', brokenPolicy.commits[0].id]);
      expect(r.code).toBe(2);
      expect(expectOneLineError(r)).toMatch(/\.countersign\/policy\.json on origin\/main: unknown field "requireUserVerificaton"/);
    });
  });
});

describe('sign refuses bad input and writes nothing', () => {
  it('a key file that does not exist, a key that is not a key, an identity with a space', async () => {
    const notAKey = join(tmp.dir, 'not-a-key');
    await writeFile(notAKey, 'hello\n');
    await expectNothingWritten(demo, async () => {
      const base = ['sign', '--repo', demo.clone, demo.commits[0].id];
      const missing = await runCli([...base, '--key', join(tmp.dir, 'nope'), '--identity', 'bob@example.org']);
      expect(missing.code).toBe(2);
      expect(expectOneLineError(missing)).toMatch(/key file .*nope does not exist/);
      const garbage = await runCli([...base, '--key', notAKey, '--identity', 'bob@example.org']);
      expect(garbage.code).toBe(1);
      expect(expectOneLineError(garbage)).toMatch(/^countersign: ssh-keygen could not sign with .*not-a-key/);
      const spaced = await runCli([...base, '--key', bobKey.privatePath, '--identity', 'bob smith']);
      expect(spaced.code).toBe(2);
      expect(expectOneLineError(spaced)).toMatch(/signer identity "bob smith" is not valid/);
    });
  });

  it('a repository directory that does not exist, or is not a git repository', async () => {
    const missing = await runCli(['verify', '--repo', join(tmp.dir, 'no-repo'), 'HEAD']);
    expect(missing.code).toBe(2);
    expect(expectOneLineError(missing)).toBe(`countersign: --repo ${join(tmp.dir, 'no-repo')} does not exist`);
    const notGit = await runCli(['verify', 'HEAD'], { cwd: tmp.dir });
    expect(notGit.code).toBe(2);
    expect(expectOneLineError(notGit)).toBe(`countersign: the current directory (${tmp.dir}) is not a git repository (pass --repo DIR)`);
  });
});

describe('note lines', () => {
  const sshLine = (key: SoftSshKey, signer: string, commit: { id: string; tree: string }) => {
    const time = '2026-01-02T03:04:05Z';
    const message = statementBytes({ repository: 'demo/widgets', commit: commit.id, tree: commit.tree, verdict: 'approve', signer, time });
    return formatNoteLine({ verdict: 'approve', signer, time, signature: softSshSig(key, { message, namespace: NAMESPACE }) });
  };

  it('a line that does not parse is reported; the others still count', async () => {
    const c = demo.commits[1];
    const good = [sshLine(bob, 'bob@example.org', c), sshLine(carol, 'carol@example.org', c)];
    const truncated = good[0].slice(0, 200);
    const note = [good[0], 'countersign-v1 approve mallory@example.org not-a-time AAAA', truncated, good[1]].join('\n') + '\n';
    const file = join(tmp.dir, 'note.txt');
    await writeFile(file, note);
    await git(['notes', `--ref=${NOTES}`, 'add', '-f', '-F', file, c.id], demo.clone);

    const r = await runCli(['verify', '--repo', demo.clone, '--no-fetch', c.id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2/2 distinct trusted signers: met');
    expect(r.stdout).toMatch(/FAILED +mallory@example\.org +approve +\?\n +why: unreadable line: time "not-a-time" is not valid/);
    expect(r.stdout).toMatch(/FAILED +bob@example\.org[^\n]*\n +why: SSHSIG: truncated/);
    await git(['update-ref', '-d', NOTES], demo.clone);
  });
});

describe('export refuses to overwrite and to export nothing', () => {
  it('a non-empty --out is left as it was', async () => {
    const out = join(tmp.dir, 'full');
    await mkdir(out);
    await writeFile(join(out, 'keep.txt'), 'mine\n');
    const r = await runCli(['export', '--repo', demo.clone, '--no-fetch', demo.commits[0].id, '--out', out]);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/--out .*full is not empty/);
    expect(await readdir(out)).toEqual(['keep.txt']);
  });

  it('a commit without signatures creates no directory', async () => {
    const out = join(tmp.dir, 'never');
    const r = await runCli(['export', '--repo', demo.clone, '--no-fetch', demo.commits[2].id, '--out', out]);
    expect(r.code).toBe(2);
    expect(expectOneLineError(r)).toMatch(/has no signatures in refs\/notes\/countersign; nothing exported/);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });
});
