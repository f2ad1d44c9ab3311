/**
 * The countersign CLI as reviewers and bots use it, end to end: sign with SSH keys, verify in a
 * fresh CI clone, export for stock ssh-keygen. Steps run in order and build on each other.
 */
import { readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendNoteLines, publishNotes } from '../../lib/notes/store';
import { formatNoteLine } from '../../lib/notes/line';
import { fingerprintSha256, formatPublicKey } from '../../lib/ssh/public-key';
import { statementBytes } from '../../lib/statement/statement';
import { runCli } from '../support/cli';
import { createDemoRepo, type DemoCommit, type DemoRepo } from '../support/demo-repo';
import { createPasskey, passkeySshSig } from '../support/soft-authenticator';
import { makeKey, makeTempDir, run, type KeygenKey } from '../support/ssh-keygen';

const NAMESPACE = 'countersign-review@countersign.dev';
const NOTES = 'refs/notes/countersign';

let tmp: { dir: string; cleanup: () => Promise<void> };
let demo: DemoRepo;
let ci: string; // a fresh clone, as a CI job has
let keys: Record<'bob' | 'carol' | 'ada' | 'dave' | 'mallory', KeygenKey>;
const erin = createPasskey({ rpId: 'sign.example.org' });
let c1: DemoCommit, c2: DemoCommit, c3: DemoCommit;

beforeAll(async () => {
  tmp = await makeTempDir('countersign-cli-');
  keys = {
    bob: await makeKey(tmp.dir, 'ed25519', 'bob'),
    carol: await makeKey(tmp.dir, 'ecdsa', 'carol'),
    ada: await makeKey(tmp.dir, 'ed25519', 'ada'),
    dave: await makeKey(tmp.dir, 'ed25519', 'dave'),
    mallory: await makeKey(tmp.dir, 'ed25519', 'mallory'),
  };
  demo = await createDemoRepo({
    signers: [
      { principal: 'bob@example.org', publicKey: keys.bob.publicKeyText },
      { principal: 'carol@example.org', publicKey: keys.carol.publicKeyText },
      { principal: 'ada@example.org', publicKey: keys.ada.publicKeyText }, // the author of the commits
      { principal: 'erin@example.org', publicKey: formatPublicKey(erin.sshKey, 'erin phone') },
    ],
    policy: { threshold: 2, rpIds: ['sign.example.org'], origins: ['https://sign.example.org'] },
  });
  [c1, c2, c3] = demo.commits;
  ci = await demo.cloneAgain('ci');
});

afterAll(async () => {
  await demo?.cleanup();
  await tmp?.cleanup();
});

const sign = (key: KeygenKey, identity: string, commit: string, ...extra: string[]) =>
  runCli(['sign', '--repo', demo.clone, '--key', key.privatePath, '--identity', identity, ...extra, commit]);

async function remoteNote(commit: string): Promise<string[]> {
  const r = await run('git', ['-C', demo.remote, 'notes', `--ref=${NOTES}`, 'show', commit]);
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

describe('countersign sign', () => {
  it('signs the full commit id (a revision is accepted for convenience) and publishes one line per signature', async () => {
    const bob = await sign(keys.bob, 'bob@example.org', 'HEAD~2'); // = c1
    expect(bob).toMatchObject({ code: 0, stderr: '' });
    expect(bob.stdout).toContain(`Signed ${c1.id.slice(0, 12)} ("Add widget 1") as bob@example.org: approve, ED25519 key ${fingerprintSha256(keys.bob.key)}\n`);
    expect(bob.stdout).toContain('Published to origin (refs/notes/countersign).');

    const carol = await sign(keys.carol, 'carol@example.org', c1.id);
    expect(carol.code).toBe(0);
    expect(carol.stdout).toContain('ECDSA key SHA256:');

    const lines = await remoteNote(c1.id);
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => l.split(' ').slice(0, 3).join(' ')).sort()).toEqual([
      'countersign-v1 approve bob@example.org',
      'countersign-v1 approve carol@example.org',
    ]);
  });

  it('warns, but writes, when the signature will not count: the author, or a key the policy does not trust', async () => {
    const ada = await sign(keys.ada, 'ada@example.org', c2.id);
    expect(ada.code).toBe(0);
    expect(ada.stderr).toMatch(/^countersign: warning: you are the commit's author; the policy does not count the author's own approval\n$/);

    const dave = await sign(keys.dave, 'dave@example.org', c2.id);
    expect(dave.code).toBe(0);
    expect(dave.stderr).toMatch(/^countersign: warning: this signature will not count until the policy on origin\/main trusts it: .*dave@example\.org/);

    expect(await remoteNote(c2.id)).toHaveLength(2);
  });

  it('keeps the signature locally when the remote is down ("saved, will be published") and publishes it next time', async () => {
    const away = demo.remote + '.away';
    await rename(demo.remote, away);
    let down;
    try {
      down = await sign(keys.carol, 'carol@example.org', c3.id);
    } finally {
      await rename(away, demo.remote);
    }
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('Saved, will be published');
    expect(down.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(down.stderr).toMatch(/^countersign: warning: could not push refs\/notes\/countersign to origin/);
    expect(await remoteNote(c3.id)).toEqual([]);

    const up = await sign(keys.bob, 'bob@example.org', c3.id);
    expect(up.stdout).toContain('Published');
    const lines = await remoteNote(c3.id);
    expect(lines.map((l) => l.split(' ')[2]).sort()).toEqual(['bob@example.org', 'carol@example.org']);
  });
});

describe('countersign verify', () => {
  it('fetches the notes into a fresh clone and passes a commit with two trusted signers', async () => {
    const r = await runCli(['verify', '--repo', ci, c1.id]);
    // The only remark: the author exclusion rests on the commit's own author field (no requireSignedCommits).
    expect(r.stderr).toMatch(/^countersign: warning: the author's own approval is excluded by the commits' author and committer fields[^\n]*\n$/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${c1.id.slice(0, 12)}  Add widget 1`);
    expect(r.stdout).toContain('2/2 distinct trusted signers: met (bob@example.org, carol@example.org)');
    expect(r.stdout).toMatch(/counted +bob@example\.org +approve +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +SHA256:/);
    expect(r.stdout).toContain('OK: the commit meets the policy');
  });

  it('prints JSON, and fails when any commit falls short; the author and untrusted keys do not count', async () => {
    const r = await runCli(['verify', '--repo', ci, '--json', c1.id, c2.id]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.policy).toMatchObject({ ref: 'refs/remotes/origin/main', repository: 'demo/widgets', threshold: 2, namespace: NAMESPACE });
    expect(out.commits.map((c: { commit: string; met: boolean; count: number }) => [c.commit, c.met, c.count])).toEqual([
      [c1.id, true, 2],
      [c2.id, false, 0],
    ]);
    const second = out.commits[1];
    expect(second).toMatchObject({ author: 'ada@example.org', excludedAuthor: 'ada@example.org', tree: c2.tree });
    const bySigner = Object.fromEntries(second.lines.map((l: { signer: string }) => [l.signer, l]));
    expect(bySigner['ada@example.org']).toMatchObject({ ok: true, counted: false, reason: "the commit's author does not count (policy excludeAuthor)" });
    expect(bySigner['dave@example.org']).toMatchObject({ ok: false, counted: false });
    expect(bySigner['dave@example.org'].reason).toMatch(/dave@example\.org/);
  });

  it('--threshold raises the policy threshold, and refuses to lower it', async () => {
    const higher = await runCli(['verify', '--repo', ci, '--no-fetch', '--threshold', '3', c1.id]);
    expect(higher.code).toBe(1);
    expect(higher.stdout).toContain('2/3 distinct trusted signers: NOT MET');
    const lower = await runCli(['verify', '--repo', ci, '--no-fetch', '--threshold', '1', c1.id]);
    expect(lower.code).toBe(2);
    expect(lower.stderr).toMatch(/--threshold may raise the bar, never lower it/);
  });

  it('reads the policy from the trusted ref: a change that adds its own signer does not count', async () => {
    const evil = await demo.commit(
      {
        '.countersign/allowed_signers': `mallory@example.org ${keys.mallory.publicKeyText}\n`,
        '.countersign/policy.json': JSON.stringify({ repository: 'demo/widgets', threshold: 1 }),
      },
      'Innocent refactoring',
    );
    await demo.git(['push', '-q', 'origin', 'HEAD:refs/heads/feature']);
    const signed = await sign(keys.mallory, 'mallory@example.org', evil.id);
    expect(signed.code).toBe(0);
    expect(signed.stderr).toMatch(/will not count/);

    const r = await runCli(['verify', '--repo', demo.clone, evil.id]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('0/2 distinct trusted signers: NOT MET');
    expect(r.stdout).toMatch(/FAILED +mallory@example\.org/);

    // Even naming the attacker's branch as the trusted ref does not let the change approve itself:
    // a commit on the trusted ref is judged by the policy of its first parent.
    const wrongTrust = await runCli(['verify', '--repo', demo.clone, '--policy-ref', 'refs/remotes/origin/feature', evil.id]);
    expect(wrongTrust.code).toBe(1);
    expect(wrongTrust.stdout).toContain(`${evil.id.slice(0, 12)}: policy read from the parent of ${evil.id.slice(0, 12)}`);
  });

  it('counts a passkey approval made by the app, and refuses one whose authenticator did not verify the user', async () => {
    const line = (flags?: number, time = '2026-01-02T03:04:05Z') => {
      const message = statementBytes({ repository: 'demo/widgets', commit: c3.id, tree: c3.tree, verdict: 'approve', signer: 'erin@example.org', time });
      const { sshsig } = passkeySshSig(erin, { message, namespace: NAMESPACE, origin: 'https://sign.example.org', ...(flags === undefined ? {} : { flags }) });
      return formatNoteLine({ verdict: 'approve', signer: 'erin@example.org', time, signature: sshsig });
    };
    const noUv = line(0x01, '2026-01-02T03:04:06Z');
    await appendNoteLines(demo.clone, NOTES, [{ commit: c3.id, line: noUv }]);
    expect((await publishNotes(demo.clone, 'origin', NOTES)).pushed).toBe(true);

    const refused = await runCli(['verify', '--repo', ci, '--json', '--threshold', '3', c3.id]);
    const before = JSON.parse(refused.stdout).commits[0];
    expect(before.count).toBe(2); // bob and carol
    expect(before.lines.find((l: { line: string }) => l.line === noUv)).toMatchObject({ signer: 'erin@example.org', ok: false, counted: false });
    expect(before.lines.find((l: { line: string }) => l.line === noUv).reason).toMatch(/UV flag/);

    await appendNoteLines(demo.clone, NOTES, [{ commit: c3.id, line: line() }]);
    await publishNotes(demo.clone, 'origin', NOTES);
    const counted = await runCli(['verify', '--repo', ci, '--threshold', '3', c3.id]);
    expect(counted.code).toBe(0);
    expect(counted.stdout).toContain('3/3 distinct trusted signers: met');
    expect(counted.stdout).toMatch(/counted +erin@example\.org/);
    expect(counted.stdout).toMatch(/FAILED +erin@example\.org[^\n]*\n +why: the authenticator did not verify the user/);
  });
});

describe('countersign export', () => {
  it('writes statements, signatures and allowed_signers that stock ssh-keygen verifies', async () => {
    const out = join(tmp.dir, 'export-c1');
    const r = await runCli(['export', '--repo', ci, c1.id, '--out', out]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect((await readdir(out)).sort()).toEqual([
      '01-bob@example.org.sig',
      '01-bob@example.org.statement',
      '02-carol@example.org.sig',
      '02-carol@example.org.statement',
      'README.txt',
      'allowed_signers',
      'notes.txt',
      'verify.sh',
    ]);
    const statement = await readFile(join(out, '01-bob@example.org.statement'), 'utf8');
    expect(statement).toMatch(
      new RegExp(`^countersign review statement v1\nrepository: demo/widgets\ncommit: ${c1.id}\ntree: ${c1.tree}\nverdict: approve\nsigner: bob@example.org\ntime: \\S+\n$`),
    );
    const readme = await readFile(join(out, 'README.txt'), 'utf8');
    const oneLiner = `ssh-keygen -Y verify -f allowed_signers -I bob@example.org -n ${NAMESPACE} -s 01-bob@example.org.sig < 01-bob@example.org.statement`;
    expect(readme).toContain(oneLiner);

    // Each file through stock OpenSSH, exactly as the README says.
    for (const who of ['01-bob@example.org', '02-carol@example.org']) {
      const signer = who.slice(3);
      const v = await run(
        'ssh-keygen',
        ['-Y', 'verify', '-f', join(out, 'allowed_signers'), '-I', signer, '-n', NAMESPACE, '-s', join(out, `${who}.sig`)],
        await readFile(join(out, `${who}.statement`)),
      );
      expect(v.stdout).toMatch(new RegExp(`^Good "${NAMESPACE}" signature for ${signer} with (ED25519|ECDSA) key SHA256:`));
      expect(v.code).toBe(0);
    }
    const all = await run('sh', [join(out, 'verify.sh')]);
    expect(all.code).toBe(0);
    expect(all.stdout.match(/^Good /gm)).toHaveLength(2);
  });

  it('exports passkey signatures too; stock ssh-keygen accepts even the one without UV, which is why the gate checks flags', async () => {
    const out = join(tmp.dir, 'export-c3');
    const r = await runCli(['export', '--repo', ci, '--no-fetch', c3.id, '--out', out]);
    expect(r.code).toBe(0);
    const all = await run('sh', [join(out, 'verify.sh')]);
    expect(all.code).toBe(0);
    expect(all.stdout.match(/^Good .* for erin@example\.org with ECDSA-SK key/gm)).toHaveLength(2);
    expect(await readFile(join(out, 'README.txt'), 'utf8')).toMatch(/erin@example\.org .*FAILED in countersign: the authenticator did not verify the user/);
  });
});

describe('SHA-256 repositories', () => {
  it('sign --no-push writes only the local notes ref; verify reads 64-digit ids', async () => {
    const d = await createDemoRepo({ objectFormat: 'sha256', signers: [{ principal: 'bob@example.org', publicKey: keys.bob.publicKeyText }], policy: { threshold: 1 } });
    try {
      const c = d.commits[0];
      expect(c.id).toMatch(/^[0-9a-f]{64}$/);
      const signed = await runCli(['sign', '--repo', d.clone, '--key', keys.bob.privatePath, '--identity', 'bob@example.org', '--no-push', c.id]);
      expect(signed.code).toBe(0);
      expect(signed.stdout).toContain('Saved in refs/notes/countersign (not pushed: --no-push).');
      expect((await run('git', ['-C', d.remote, 'for-each-ref', 'refs/notes/'])).stdout).toBe('');
      const r = await runCli(['verify', '--repo', d.clone, '--no-fetch', '--json', c.id]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).commits[0]).toMatchObject({ commit: c.id, tree: c.tree, count: 1, met: true });
    } finally {
      await d.cleanup();
    }
  });
});
