import { afterAll, describe, expect, it } from 'vitest';
import { CountersignError } from '../errors';
import { createDemoRepo, type DemoRepo } from '../../tests/support/demo-repo';
import { createSoftSshKey } from '../../tests/support/soft-authenticator';
import { formatPublicKey } from '../ssh/public-key';
import { defaultPolicyRef, loadTrustedPolicy } from './trusted';

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

    // An explicit ref is taken as given.
    const local = await loadTrustedPolicy(d.clone, 'HEAD');
    expect(local.policy.threshold).toBe(1);
    expect(local.allowedSigners.map((s) => s.principals)).toEqual(['mallory@example.org']);
  });

  it('falls back to <remote>/main without <remote>/HEAD, and to local main without any remote', async () => {
    const d = await demo();
    await d.git(['remote', 'set-head', 'origin', '--delete']);
    expect(await defaultPolicyRef(d.clone)).toBe('refs/remotes/origin/main');
    // The bare remote itself (as on a server): no remote-tracking refs, local main.
    expect(await defaultPolicyRef(d.remote)).toBe('refs/heads/main');
    expect((await loadTrustedPolicy(d.remote)).policy.repository).toBe('demo/widgets');
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
});
