/**
 * The gate cannot be gamed (issue 7 items 2–4), through `countersign verify` as CI runs it:
 * the committer is excluded as well as the author; with requireSignedCommits the verified commit
 * signer (a real `git commit -S` with an SSH key) is excluded and an unsigned commit fails; the
 * trusted ref is never guessed; a merged commit is judged by the policy from before it; passkeys
 * count only under a policy that names their RP IDs and origins; --threshold only raises.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendNoteLines, publishNotes } from '../../lib/notes/store';
import { formatNoteLine } from '../../lib/notes/line';
import { openRepo } from '../../lib/server/repos';
import { formatPublicKey } from '../../lib/ssh/public-key';
import { statementBytes } from '../../lib/statement/statement';
import { runCli } from '../support/cli';
import { createDemoRepo, git, type DemoRepo, type Person } from '../support/demo-repo';
import { createPasskey, passkeySshSig } from '../support/soft-authenticator';
import { makeKey, makeTempDir, type KeygenKey } from '../support/ssh-keygen';

const NAMESPACE = 'countersign-review@countersign.dev';
const NOTES = 'refs/notes/countersign';
const BOB: Person = { name: 'Bob', email: 'bob@example.org' };
const INTERN: Person = { name: 'Intern', email: 'intern@example.org' };

let tmp: { dir: string; cleanup: () => Promise<void> };
let keys: Record<'bob' | 'carol' | 'mallory', KeygenKey>;
const repos: DemoRepo[] = [];

beforeAll(async () => {
  tmp = await makeTempDir('countersign-gate-');
  keys = {
    bob: await makeKey(tmp.dir, 'ed25519', 'bob'),
    carol: await makeKey(tmp.dir, 'ecdsa', 'carol'),
    mallory: await makeKey(tmp.dir, 'ed25519', 'mallory'),
  };
});

afterAll(async () => {
  await Promise.all(repos.map((r) => r.cleanup()));
  await tmp?.cleanup();
});

async function demo(policy: Record<string, unknown>, objectFormat?: 'sha1' | 'sha256'): Promise<DemoRepo> {
  const d = await createDemoRepo({
    ...(objectFormat ? { objectFormat } : {}),
    signers: [
      { principal: 'bob@example.org', publicKey: keys.bob.publicKeyText },
      { principal: 'carol@example.org', publicKey: keys.carol.publicKeyText },
    ],
    policy,
    commits: 1,
  });
  repos.push(d);
  return d;
}

const sign = (d: DemoRepo, key: KeygenKey, identity: string, commit: string) =>
  runCli(['sign', '--repo', d.clone, '--key', key.privatePath, '--identity', identity, commit]);

/** A commit made in the clone by `who` (author and committer), optionally signed with an SSH key by real `git commit -S`, pushed to a branch. */
async function commitAs(d: DemoRepo, file: string, who: { author: Person; committer: Person }, signingKey?: KeygenKey): Promise<string> {
  await writeFile(join(d.clone, file), `${file}\n`);
  await git(['add', '--', file], d.clone);
  const signing = signingKey ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${signingKey.privatePath}`, 'commit', '-S'] : ['commit'];
  // demo-repo's git() sets author and committer to one person; the committer is set apart here.
  await git(['-c', `user.name=${who.committer.name}`, ...signing, '-q', '--author', `${who.author.name} <${who.author.email}>`, '-m', `Change ${file}`], d.clone, who.committer);
  const id = await git(['rev-parse', 'HEAD'], d.clone);
  await git(['push', '-q', 'origin', `HEAD:refs/heads/feature-${file}`], d.clone);
  return id;
}

describe('excludeAuthor: the committer too, and with requireSignedCommits the verified commit signer', () => {
  it('a trusted signer who commits as someone else but is the committer does not count, and verify says the exclusion is unverified', async () => {
    const d = await demo({ threshold: 1 });
    const id = await commitAs(d, 'a.txt', { author: INTERN, committer: BOB });
    expect((await sign(d, keys.bob, 'bob@example.org', id)).code).toBe(0);
    const r = await runCli(['verify', '--repo', d.clone, '--json', id]);
    expect(r.code).toBe(1);
    const [c] = JSON.parse(r.stdout).commits;
    expect(c).toMatchObject({ count: 0, met: false });
    expect(c.lines[0]).toMatchObject({ signer: 'bob@example.org', ok: true, counted: false, reason: "the commit's committer does not count (policy excludeAuthor)" });
    expect(c.exclusions).toEqual([
      { email: 'intern@example.org', role: 'author', commit: id, verified: false },
      { email: 'bob@example.org', role: 'committer', commit: id, verified: false },
    ]);
    expect(r.stderr).toContain('countersign: warning: the author\'s own approval is excluded by the commits\' author and committer fields, which whoever made the commit sets freely; add "requireSignedCommits": true');
  });

  it('requireSignedCommits: the signer of a real SSH-signed commit is excluded whatever its author and committer say', async () => {
    const d = await demo({ threshold: 1, requireSignedCommits: true });
    const id = await commitAs(d, 'b.txt', { author: INTERN, committer: INTERN }, keys.bob);
    // git itself accepts the signature (our payload is what git signs).
    await writeFile(join(tmp.dir, 'git_allowed'), `bob@example.org ${keys.bob.publicKeyText}\n`);
    await git(['-c', `gpg.ssh.allowedSignersFile=${join(tmp.dir, 'git_allowed')}`, 'verify-commit', id], d.clone);

    expect((await sign(d, keys.bob, 'bob@example.org', id)).code).toBe(0);
    const before = await runCli(['verify', '--repo', d.clone, '--json', id]);
    expect(before.code).toBe(1);
    const [c] = JSON.parse(before.stdout).commits;
    expect(c.failures).toEqual([]);
    expect(c.exclusions).toContainEqual(expect.objectContaining({ email: 'bob@example.org', role: 'commit-signer', verified: true }));
    expect(c.lines[0]).toMatchObject({ signer: 'bob@example.org', counted: false, reason: "the commit's verified signer does not count (policy excludeAuthor)" });
    expect(before.stderr).not.toContain('warning');

    expect((await sign(d, keys.carol, 'carol@example.org', id)).code).toBe(0);
    const after = await runCli(['verify', '--repo', d.clone, id]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('1/1 distinct trusted signers: met (carol@example.org)');
  });

  it('requireSignedCommits in a SHA-256 repository: the gpgsig-sha256 signature is checked the same way', async () => {
    const d = await demo({ threshold: 1, requireSignedCommits: true }, 'sha256');
    const id = await commitAs(d, 'e.txt', { author: INTERN, committer: INTERN }, keys.carol);
    expect(id).toHaveLength(64);
    expect((await sign(d, keys.carol, 'carol@example.org', id)).code).toBe(0);
    const r = await runCli(['verify', '--repo', d.clone, '--json', id]);
    const [c] = JSON.parse(r.stdout).commits;
    expect(c).toMatchObject({ failures: [], count: 0, met: false });
    expect(c.exclusions).toContainEqual(expect.objectContaining({ email: 'carol@example.org', role: 'commit-signer', verified: true }));
  });

  it('requireSignedCommits: an unsigned commit, or one signed by a key allowed_signers does not list, fails whatever its approvals', async () => {
    const d = await demo({ threshold: 1, requireSignedCommits: true });
    const unsigned = await commitAs(d, 'c.txt', { author: INTERN, committer: INTERN });
    const byStranger = await commitAs(d, 'd.txt', { author: INTERN, committer: INTERN }, keys.mallory);
    for (const id of [unsigned, byStranger]) expect((await sign(d, keys.carol, 'carol@example.org', id)).code).toBe(0);
    const r = await runCli(['verify', '--repo', d.clone, unsigned, byStranger]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1/1 distinct trusted signers: NOT MET');
    expect(r.stderr).toContain(`countersign: ${unsigned.slice(0, 12)}: commit ${unsigned.slice(0, 12)} has no commit signature; sign it with an SSH key listed in .countersign/allowed_signers`);
    expect(r.stderr).toMatch(new RegExp(`countersign: ${byStranger.slice(0, 12)}: commit ${byStranger.slice(0, 12)} is signed by key SHA256:\\S+, which \\.countersign/allowed_signers does not list`));
  });
});

describe('the trusted ref', () => {
  it('verify refuses a dangling origin/HEAD with the fix, instead of reading an origin/master anyone could push', async () => {
    const d = await demo({ threshold: 1 });
    await git(['branch', '-m', 'main', 'trunk'], d.remote);
    await git(['symbolic-ref', 'HEAD', 'refs/heads/trunk'], d.remote);
    await git(['push', '-q', 'origin', 'HEAD:refs/heads/master'], d.clone);
    await git(['fetch', '-q', '--prune', 'origin'], d.clone);
    const r = await runCli(['verify', '--repo', d.clone, d.commits[0].id]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^countersign: origin\/HEAD points to origin\/main, which does not exist here .*`git remote set-head origin --auto`.*--policy-ref/);
  });

  it('a commit merged with a policy change that trusts its own author is judged by the policy before it', async () => {
    const d = await demo({ threshold: 2 });
    const self = await d.commit(
      {
        '.countersign/allowed_signers': `mallory@example.org ${keys.mallory.publicKeyText}\n`,
        '.countersign/policy.json': JSON.stringify({ repository: d.repository, threshold: 1, excludeAuthor: false }),
      },
      'Trust mallory',
    );
    await git(['push', '-q', 'origin', 'HEAD:main'], d.clone);
    await git(['fetch', '-q', 'origin'], d.clone);
    expect((await sign(d, keys.mallory, 'mallory@example.org', self.id)).code).toBe(0);
    const r = await runCli(['verify', '--repo', d.clone, '--json', self.id]);
    expect(r.code).toBe(1);
    const [c] = JSON.parse(r.stdout).commits;
    expect(c).toMatchObject({ threshold: 2, count: 0, policyCommit: d.commits[0].id });
    expect(c.policyFrom).toBe(`the parent of ${self.id.slice(0, 12)} (${self.id.slice(0, 12)} is on origin/main)`);
    const table = await runCli(['verify', '--repo', d.clone, '--no-fetch', self.id]);
    expect(table.stdout).toContain(`${self.id.slice(0, 12)}: policy read from the parent of ${self.id.slice(0, 12)}`);
  });

  it("the server's clone follows a renamed default branch (origin/HEAD repaired on fetch)", async () => {
    const d = await demo({ threshold: 1 });
    const dataDir = join(tmp.dir, 'server-data');
    const repo = await openRepo(dataDir, { name: 'widgets', remote: d.remote });
    expect((await repo.trusted()).refName).toBe('origin/main');
    // The remote renames main to trunk and changes the policy there.
    await git(['branch', '-m', 'main', 'trunk'], d.remote);
    await git(['symbolic-ref', 'HEAD', 'refs/heads/trunk'], d.remote);
    await d.commit({ '.countersign/policy.json': JSON.stringify({ repository: d.repository, threshold: 3 }) }, 'Raise the bar');
    await git(['push', '-q', 'origin', 'HEAD:trunk'], d.clone);
    expect((await repo.refresh({ maxAgeMs: 0 })).ok).toBe(true);
    const t = await repo.trusted();
    expect(t.refName).toBe('origin/trunk');
    expect(t.policy.threshold).toBe(3);
  });
});

describe('strict defaults', () => {
  const erin = createPasskey({ rpId: 'sign.example.org' });

  async function passkeyDemo(policy: Record<string, unknown>) {
    const d = await createDemoRepo({
      signers: [
        { principal: 'bob@example.org', publicKey: keys.bob.publicKeyText },
        { principal: 'erin@example.org', publicKey: formatPublicKey(erin.sshKey, 'erin phone') },
      ],
      policy,
      commits: 1,
    });
    repos.push(d);
    const [c] = d.commits;
    const time = '2026-01-02T03:04:05Z';
    const message = statementBytes({ repository: d.repository, commit: c.id, tree: c.tree, verdict: 'approve', signer: 'erin@example.org', time });
    const { sshsig } = passkeySshSig(erin, { message, namespace: NAMESPACE, origin: 'https://sign.example.org' });
    await appendNoteLines(d.clone, NOTES, [{ commit: c.id, line: formatNoteLine({ verdict: 'approve', signer: 'erin@example.org', time, signature: sshsig }) }]);
    await publishNotes(d.clone, 'origin', NOTES);
    return { d, c };
  }

  it('a passkey approval does not count under a policy without rpIds and origins; the reason names the line to add', async () => {
    const { d, c } = await passkeyDemo({ threshold: 1 });
    const r = await runCli(['verify', '--repo', d.clone, '--json', c.id]);
    expect(r.code).toBe(1);
    const [v] = JSON.parse(r.stdout).commits;
    expect(v.lines[0]).toMatchObject({ signer: 'erin@example.org', ok: false, counted: false, status: 'invalid' });
    expect(v.lines[0].reason).toContain('add "rpIds": ["sign.example.org"] to .countersign/policy.json');

    const named = await passkeyDemo({ threshold: 1, rpIds: ['sign.example.org'], origins: ['https://sign.example.org'] });
    expect((await runCli(['verify', '--repo', named.d.clone, named.c.id])).code).toBe(0);
  });

  it('--threshold may raise the policy threshold, never lower it (exit 2)', async () => {
    const d = await demo({ threshold: 2 });
    const lower = await runCli(['verify', '--repo', d.clone, '--threshold', '1', d.commits[0].id]);
    expect(lower.code).toBe(2);
    expect(lower.stderr).toBe("countersign: --threshold 1 is below the policy's threshold 2 on origin/main: --threshold may raise the bar, never lower it\n");
    const higher = await runCli(['verify', '--repo', d.clone, '--threshold', '3', d.commits[0].id]);
    expect(higher.code).toBe(1);
    expect(higher.stdout).toContain('0/3 distinct trusted signers: NOT MET');
  });
});
