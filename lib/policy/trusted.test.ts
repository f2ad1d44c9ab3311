import { afterAll, describe, expect, it } from 'vitest';
import { CountersignError } from '../errors';
import { createDemoRepo, type DemoRepo } from '../../tests/support/demo-repo';
import { createSoftSshKey } from '../../tests/support/soft-authenticator';
import { formatPublicKey } from '../ssh/public-key';
import { defaultPolicyRef, loadPolicyAtCommit, loadTrustedPolicy, policyForCommit } from './trusted';

const repos: DemoRepo[] = [];
afterAll(async () => {
  await Promise.all(repos.map((r) => r.cleanup()));
});
async function demo(...args: Parameters<typeof createDemoRepo>) {
  const d = await createDemoRepo(...args);
  repos.push(d);
  return d;
}

const bobKey = formatPublicKey(createSoftSshKey('ed25519').sshKey);
const malloryKey = formatPublicKey(createSoftSshKey('ed25519').sshKey);

async function refusal(p: Promise<unknown>): Promise<CountersignError> {
  const e = await p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err) => err,
  );
  expect(e).toBeInstanceOf(CountersignError);
  return e as CountersignError;
}

describe('loadTrustedPolicy', () => {
  it("reads policy and signers from the remote's default branch, not from the checkout", async () => {
    const d = await demo({ signers: [{ principal: 'bob@example.org', publicKey: bobKey }], policy: { threshold: 2 } });
    // The checkout moves on to a change that trusts mallory and lowers the bar; it is not pushed.
    await d.commit(
      {
        '.countersign/allowed_signers': `mallory@example.org ${malloryKey}\n`,
        '.countersign/policy.json': JSON.stringify({ repository: d.repository, threshold: 1 }),
      },
      'Trust me',
    );
    const t = await loadTrustedPolicy(d.clone);
    expect(t.ref).toBe('refs/remotes/origin/main');
    expect(t.refName).toBe('origin/main');
    expect(t.commit).toBe(d.commits[d.commits.length - 1].id);
    expect(t.policy).toMatchObject({ repository: 'demo/widgets', threshold: 2 });
    expect(t.allowedSigners.map((s) => s.principals)).toEqual(['bob@example.org']);
    expect(t.allowedSignersText).toBe(`bob@example.org ${bobKey}\n`);

    // An explicit full ref is taken as given.
    const local = await loadTrustedPolicy(d.clone, 'refs/heads/main');
    expect(local.policy.threshold).toBe(1);
    expect(local.allowedSigners.map((s) => s.principals)).toEqual(['mallory@example.org']);
  });

  it('without <remote>/HEAD, refuses to guess (origin/main or origin/master could be anyone\'s branch) and names the fix', async () => {
    const d = await demo();
    await d.git(['remote', 'set-head', 'origin', '--delete']);
    const e = await refusal(defaultPolicyRef(d.clone));
    expect(e.code).toBe('bad-policy');
    expect(e.message).toMatch(/no origin\/HEAD; run `git remote set-head origin --auto`.*--policy-ref/);
    await d.git(['remote', 'set-head', 'origin', '--auto']);
    expect(await defaultPolicyRef(d.clone)).toBe('refs/remotes/origin/main');
    // The bare remote itself (as on a server): no remote, its own HEAD names the default branch.
    expect(await defaultPolicyRef(d.remote)).toBe('refs/heads/main');
    expect((await loadTrustedPolicy(d.remote)).policy.repository).toBe('demo/widgets');
  });

  it('a dangling origin/HEAD (default branch renamed) is an error naming the fix, never a fall back to origin/master', async () => {
    const d = await demo();
    // The remote renames its default branch to trunk; an attacker pushes a master with their own policy.
    await d.git(['branch', '-m', 'main', 'trunk'], d.remote);
    await d.git(['symbolic-ref', 'HEAD', 'refs/heads/trunk'], d.remote);
    const evil = await d.commit({ '.countersign/allowed_signers': `mallory@example.org ${malloryKey}\n` }, 'Trust mallory');
    await d.git(['push', '-q', 'origin', `${evil.id}:refs/heads/master`]);
    await d.git(['fetch', '-q', '--prune', 'origin']);
    const e = await refusal(loadTrustedPolicy(d.clone));
    expect(e.code).toBe('bad-policy');
    expect(e.message).toMatch(/^origin\/HEAD points to origin\/main, which does not exist here .*git remote set-head origin --auto/);
    expect(e.message).not.toContain(d.root); // no server paths in messages
    await d.git(['remote', 'set-head', 'origin', '--auto']);
    const t = await loadTrustedPolicy(d.clone);
    expect(t.refName).toBe('origin/trunk');
    expect(t.allowedSigners).toEqual([]);
  });

  it('a short --policy-ref names a branch of the remote, never a tag of that name; tags only as a full ref', async () => {
    const d = await demo({ signers: [{ principal: 'bob@example.org', publicKey: bobKey }] });
    const evil = await d.commit({ '.countersign/allowed_signers': `mallory@example.org ${malloryKey}\n` }, 'Trust mallory');
    await d.git(['tag', 'main', evil.id]);
    await d.git(['push', '-q', 'origin', 'refs/tags/main']);
    await d.git(['fetch', '-q', '--tags', 'origin']);
    const t = await loadTrustedPolicy(d.clone, 'main');
    expect(t.ref).toBe('refs/remotes/origin/main');
    expect(t.allowedSigners.map((s) => s.principals)).toEqual(['bob@example.org']);
    expect((await loadTrustedPolicy(d.clone, 'origin/main')).ref).toBe('refs/remotes/origin/main');
    expect((await loadTrustedPolicy(d.clone, 'refs/tags/main')).allowedSigners.map((s) => s.principals)).toEqual(['mallory@example.org']);
    expect((await refusal(loadTrustedPolicy(d.clone, 'HEAD'))).code).toBe('bad-input');
    expect((await refusal(loadTrustedPolicy(d.clone, 'nope'))).message).toMatch(/"refs\/remotes\/origin\/nope" \(from "nope"\) does not name a commit/);
  });

  it('names the ref when policy.json is missing', async () => {
    const d = await demo({ policy: null });
    const e = await refusal(loadTrustedPolicy(d.clone));
    expect(e.code).toBe('bad-policy');
    expect(e.message).toMatch(/^no \.countersign\/policy\.json on origin\/main \([0-9a-f]{12}\)/);
  });

  it('refuses a broken policy.json, naming the file, the ref and the field', async () => {
    const d = await demo({ policyText: '{"repository": "demo", "threshold": 2, "treshold": 1}' });
    const e = await refusal(loadTrustedPolicy(d.clone));
    expect(e.code).toBe('bad-policy');
    expect(e.message).toContain('.countersign/policy.json on origin/main');
    expect(e.message).toContain('"treshold"');
  });

  it('refuses a broken allowed_signers as a bad policy', async () => {
    const d = await demo({ signers: [{ principal: 'bob@example.org', publicKey: bobKey, options: 'verify-required' }] });
    const e = await refusal(loadTrustedPolicy(d.clone));
    expect(e.code).toBe('bad-policy');
    expect(e.message).toMatch(/allowed_signers on origin\/main line 1/);
  });

  it('refuses a policy ref that does not exist, and one that looks like an option', async () => {
    const d = await demo();
    expect((await refusal(loadTrustedPolicy(d.clone, 'refs/remotes/origin/nope'))).message).toMatch(/does not name a commit/);
    expect((await refusal(loadTrustedPolicy(d.clone, '--upload-pack=x'))).code).toBe('bad-input');
  });

  it('judges a commit already on the trusted ref by the policy of its first parent, so it cannot approve itself into policy', async () => {
    const d = await demo({ signers: [{ principal: 'bob@example.org', publicKey: bobKey }], policy: { threshold: 2 } });
    const selfApproving = await d.commit(
      {
        '.countersign/allowed_signers': `mallory@example.org ${malloryKey}\n`,
        '.countersign/policy.json': JSON.stringify({ repository: d.repository, threshold: 1 }),
      },
      'Trust mallory',
    );
    await d.git(['push', '-q', 'origin', 'main']);
    await d.git(['fetch', '-q', 'origin']);
    const trusted = await loadTrustedPolicy(d.clone);
    expect(trusted.commit).toBe(selfApproving.id); // the tip itself changed the policy
    const governing = await policyForCommit(d.clone, trusted, selfApproving.id);
    expect(governing.commit).toBe(d.commits[d.commits.length - 1].id);
    expect(governing.refName).toBe(`the parent of ${selfApproving.id.slice(0, 12)} (${selfApproving.id.slice(0, 12)} is on origin/main)`);
    expect(governing.policy.threshold).toBe(2);
    expect(governing.allowedSigners.map((s) => s.principals)).toEqual(['bob@example.org']);
    // A commit not on the trusted ref is judged by the ref's policy.
    const feature = await d.commit({ 'x.txt': 'x\n' }, 'Feature');
    expect((await policyForCommit(d.clone, trusted, feature.id)).commit).toBe(trusted.commit);
    // loadPolicyAtCommit reads one exact commit and takes only a full id.
    expect((await loadPolicyAtCommit(d.clone, d.policyCommit, 'the policy commit')).policy.threshold).toBe(2);
    expect((await refusal(loadPolicyAtCommit(d.clone, 'main', 'x'))).code).toBe('bad-input');
  });
});
