import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveOptions, approveVerify } from '../../lib/server/approve';
import { getInbox } from '../../lib/server/inbox';
import { createRequest } from '../../lib/server/requests';
import { getReview } from '../../lib/server/review';
import { allowedSignersFile } from '../../lib/server/signers';
import { revokeDevice } from '../../lib/auth/devices';
import { parseNoteLine, statementFor } from '../../lib/notes/line';
import { armorSshSig } from '../../lib/sshsig';
import { DEFAULT_NAMESPACE, statementBytes } from '../../lib/statement/statement';
import { getAssertion, toAuthenticationResponseJSON } from '../support/soft-authenticator';
import { sshKeygenVerify } from '../support/ssh-keygen';
import { approve, enroll, gitIn, ORIGIN, remoteNoteLines, signIn, startHarness, trustOnRemote, type Enrolled, type Harness } from './app-harness';

let h: Harness;
let bob: Enrolled;
let carol: Enrolled;
let scratch: string;

beforeAll(async () => {
  h = await startHarness();
  scratch = await mkdtemp(path.join(tmpdir(), 'cs-app-ssh-'));
  bob = await enroll(h.app, 'bob@example.org', { admin: true });
  carol = await enroll(h.app, 'carol@example.org');
});
afterAll(async () => {
  await h?.close();
  await rm(scratch, { recursive: true, force: true });
});

let reviewed: string;

/** A change on a review branch of the remote, made on top of main (after the trust commit). */
async function changeAfterTrust(): Promise<string> {
  const work = await mkdtemp(path.join(h.root, 'change-'));
  await gitIn(h.root, 'clone', '--quiet', h.remote, work);
  await gitIn(work, 'commit', '--quiet', '--allow-empty', '-m', 'A change to review');
  const id = (await gitIn(work, 'rev-parse', 'HEAD')).trim();
  await gitIn(work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/review');
  await h.app.repo('demo').refresh({ maxAgeMs: 0 });
  // Fetched; the branch goes again, so that the demo commits stay reachable from main alone.
  await gitIn(work, 'push', '--quiet', 'origin', ':refs/heads/review');
  await h.app.repo('demo').refresh({ maxAgeMs: 0 });
  await rm(work, { recursive: true, force: true });
  return id;
}

async function treeOf(commit: string): Promise<string> {
  return (await gitIn(h.remote, 'rev-parse', `${commit}^{tree}`)).trim();
}

describe('approving a commit with a passkey', () => {
  it('writes a note line to the bare remote that stock ssh-keygen -Y verify accepts', async () => {
    const commit = h.commits[4];
    const { opts, result } = await approve(h.app, bob.user, bob.passkey, commit);
    expect(opts.statement).toContain(`commit: ${commit}`);
    expect(opts.statement).toContain('signer: bob@example.org');
    expect(opts.statement).toContain('repository: demo');
    expect(result.status).toBe('published');
    // Bob's key is not in the demo's allowed_signers yet: recorded, not counted, and said so.
    expect(result.counted).toBe(false);
    expect(result.warning).toMatch(/not in demo's \.countersign\/allowed_signers/);
    expect(result.policy).toMatchObject({ threshold: 2, count: 0, met: false });
    // Carol has not approved this commit: her review says so.
    expect(await getReview(h.app, 'demo', commit, carol.user)).toMatchObject({ viewerHasSigned: false, viewerSignedAt: null });
    // The review says what the line is: a good signature by a key the repository does not list yet.
    const review = await getReview(h.app, 'demo', commit, bob.user);
    // …and, for Bob, that he approved and when (the time his passkey signed).
    expect(review).toMatchObject({ viewerHasSigned: true, viewerSignedAt: parseNoteLine(result.line).time });
    expect(review.signatures).toEqual([
      expect.objectContaining({ signer: 'bob@example.org', ok: false, counted: false, status: 'valid-untrusted', fingerprint: result.fingerprint }),
    ]);

    const lines = await remoteNoteLines(h.remote, commit);
    expect(lines).toEqual([result.line]);
    const parsed = parseNoteLine(lines[0]);
    const message = statementBytes(statementFor(parsed, { repository: 'demo', commit, tree: await treeOf(commit) }));
    expect(Buffer.from(message).toString()).toBe(opts.statement);
    const v = await sshKeygenVerify(scratch, {
      allowedSigners: bob.allowedSignersLine + '\n',
      identity: 'bob@example.org',
      namespace: DEFAULT_NAMESPACE,
      signature: armorSshSig(parsed.signature),
      message,
    });
    expect(v.output).toMatch(/Good "countersign-review@countersign.dev" signature for bob@example.org/);
    expect(v.ok).toBe(true);
  });

  it('counts approvals once the keys are trusted, and meets the threshold with two signers', async () => {
    await trustOnRemote(h, [bob.allowedSignersLine, carol.allowedSignersLine]);
    // A change made after the keys were trusted: a commit already on main is judged by the policy
    // before it (its first parent), so keys trusted later never count for it.
    reviewed = await changeAfterTrust();
    const commit = reviewed;
    const first = await approve(h.app, bob.user, bob.passkey, commit);
    expect(first.result).toMatchObject({ status: 'published', counted: true, policy: { count: 1, met: false } });
    expect(first.result.warning).toBeUndefined();
    const second = await approve(h.app, carol.user, carol.passkey, commit);
    expect(second.result).toMatchObject({ status: 'published', counted: true, policy: { count: 2, met: true, signers: ['bob@example.org', 'carol@example.org'] } });

    const review = await getReview(h.app, 'demo', commit, carol.user);
    expect(review.policy.met).toBe(true);
    expect(review.viewerHasSigned).toBe(true);
    expect(review.viewerKeyTrusted).toBe(true);
    expect(review.signatures.map((s) => [s.signer, s.ok, s.counted, s.status])).toEqual(
      expect.arrayContaining([
        ['bob@example.org', true, true, 'counted'],
        ['carol@example.org', true, true, 'counted'],
      ]),
    );
  });

  it('approving twice is harmless: the second answer is "already" and no line is added', async () => {
    const commit = reviewed;
    const before = await remoteNoteLines(h.remote, commit);
    const again = await approve(h.app, bob.user, bob.passkey, commit);
    expect(again.result.status).toBe('already');
    expect(before).toContain(again.result.line);
    expect(await remoteNoteLines(h.remote, commit)).toEqual(before);
    // The approval that stands is the first one: its time is what the review shows.
    const review = await getReview(h.app, 'demo', commit, bob.user);
    expect(review.viewerSignedAt).toBe(parseNoteLine(again.result.line).time);
  });
});

describe('a double tap writes one line', () => {
  it('two approvals of one commit by one key, sent at the same moment, leave exactly one line on the remote and agree on it', async () => {
    const commit = h.commits[1];
    expect(await remoteNoteLines(h.remote, commit)).toEqual([]);
    // Two taps: two challenges, both answered by the passkey, both sent before either is written.
    const prepared = await Promise.all([1, 2].map(() => approveOptions(h.app, bob.user, 'demo', commit, { verdict: 'approve' })));
    const responses = prepared.map((opts) =>
      toAuthenticationResponseJSON(getAssertion(bob.passkey, { challenge: new Uint8Array(Buffer.from(opts.options.challenge, 'base64url')), origin: ORIGIN })),
    );
    const results = await Promise.all(
      prepared.map((opts, i) => approveVerify(h.app, bob.user, 'demo', commit, { approvalId: opts.approvalId, response: responses[i] as any })),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['already', 'published']);
    expect(results[0].line).toBe(results[1].line);
    expect(await remoteNoteLines(h.remote, commit)).toEqual([results[0].line]);
    // Both answers report the same policy state: the one line, counted once.
    expect(results[0].policy).toEqual(results[1].policy);
  });
});

describe('a claim left by a server that died before writing its line', () => {
  it('is taken over once it is two minutes old: the approval is written and published', async () => {
    const commit = h.commits[0];
    const fp = (await getReview(h.app, 'demo', reviewed, bob.user)).signatures.find((s) => s.signer === 'bob@example.org')!.fingerprint!;
    const ghost = 'countersign-v1 approve bob@example.org 2026-01-01T00:00:00Z AAAA';
    await h.app.db.query(
      `insert into approval_claims(repo, commit_id, key_fingerprint, verdict, base, line, claimed_at) values ('demo', $1, $2, 'approve', '', $3, now() - interval '3 minutes')`,
      [commit, fp, ghost],
    );
    const { result } = await approve(h.app, bob.user, bob.passkey, commit);
    expect(result.status).toBe('published');
    expect(result.line).not.toBe(ghost);
    expect(await remoteNoteLines(h.remote, commit)).toEqual([result.line]);
  });
});

describe('refusals write nothing', () => {
  async function refused(commit: string, f: () => Promise<unknown>, message: RegExp) {
    const before = await remoteNoteLines(h.remote, commit);
    await expect(f()).rejects.toThrow(message);
    expect(await remoteNoteLines(h.remote, commit)).toEqual(before);
  }

  it('an assertion without user verification', async () => {
    await refused(h.commits[2], () => approve(h.app, bob.user, bob.passkey, h.commits[2], { flags: 0x01 }), /user verification/i);
  });

  it('an assertion from another origin', async () => {
    await refused(h.commits[2], () => approve(h.app, bob.user, bob.passkey, h.commits[2], { origin: 'https://evil.example' }), /origin/i);
  });

  it('an approval prepared for one commit, replayed onto another', async () => {
    await refused(h.commits[2], () => approve(h.app, bob.user, bob.passkey, h.commits[4], { verifyCommit: h.commits[2] }), /another commit/);
  });

  it("an approval prepared for one user, completed by another user's session", async () => {
    await refused(h.commits[2], () => approve(h.app, bob.user, bob.passkey, h.commits[2], { verifyViewer: carol.user }), /another user/);
  });

  it("someone else presenting your approval id does not use it up", async () => {
    const commit = h.commits[2];
    const opts = await approveOptions(h.app, bob.user, 'demo', commit, { verdict: 'approve' });
    const resp = () => toAuthenticationResponseJSON(getAssertion(bob.passkey, { challenge: new Uint8Array(Buffer.from(opts.options.challenge, 'base64url')), origin: ORIGIN })) as any;
    await refused(commit, () => approveVerify(h.app, carol.user, 'demo', commit, { approvalId: opts.approvalId, response: resp() }), /another user/);
    // Bob's approval still goes through with the id Carol tried.
    const mine = await approveVerify(h.app, bob.user, 'demo', commit, { approvalId: opts.approvalId, response: resp() });
    expect(mine.status).toBe('published');
    expect(await remoteNoteLines(h.remote, commit)).toContain(mine.line);
  });

  it("one user's approval answered with another user's passkey", async () => {
    const opts = await approveOptions(h.app, bob.user, 'demo', h.commits[2], { verdict: 'approve' });
    const a = getAssertion(carol.passkey, { challenge: new Uint8Array(Buffer.from(opts.options.challenge, 'base64url')), origin: ORIGIN });
    await refused(
      h.commits[2],
      () => approveVerify(h.app, bob.user, 'demo', h.commits[2], { approvalId: opts.approvalId, response: toAuthenticationResponseJSON(a) as any }),
      /belongs to another user/,
    );
  });

  it('a used approval id', async () => {
    const opts = await approveOptions(h.app, bob.user, 'demo', h.commits[2], { verdict: 'approve' });
    const challenge = new Uint8Array(Buffer.from(opts.options.challenge, 'base64url'));
    const resp = () => toAuthenticationResponseJSON(getAssertion(bob.passkey, { challenge, origin: ORIGIN })) as any;
    await approveVerify(h.app, bob.user, 'demo', h.commits[2], { approvalId: opts.approvalId, response: resp() });
    await expect(approveVerify(h.app, bob.user, 'demo', h.commits[2], { approvalId: opts.approvalId, response: resp() })).rejects.toThrow(
      /expired or was already used/,
    );
  });

  it('a signature counter that went backwards (a cloned authenticator)', async () => {
    await refused(h.commits[1], () => approve(h.app, bob.user, bob.passkey, h.commits[1], { counter: 1 }), /counter/i);
  });

  it('an unknown commit: nothing to sign', async () => {
    await expect(approveOptions(h.app, bob.user, 'demo', 'f'.repeat(40), { verdict: 'approve' })).rejects.toMatchObject({ code: 'unknown-commit' });
    await expect(getReview(h.app, 'demo', 'f'.repeat(40), bob.user)).rejects.toMatchObject({ code: 'unknown-commit' });
    await expect(getReview(h.app, 'demo', 'HEAD', bob.user)).rejects.toMatchObject({ code: 'unknown-commit' });
  });

  it('an unknown repository', async () => {
    await expect(getReview(h.app, 'nope', h.commits[0], null)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('a revoked device can neither sign in nor approve', async () => {
    const dave = await enroll(h.app, 'dave@example.org');
    await expect(signIn(h.app, dave.passkey)).resolves.toMatchObject({ user: { email: 'dave@example.org' } });
    await revokeDevice(h.app, dave.user, dave.deviceId);
    await expect(signIn(h.app, dave.passkey)).rejects.toThrow(/revoked/);
    // The approve options offer no device at all: dave has none left.
    await expect(approve(h.app, dave.user, dave.passkey, h.commits[2])).rejects.toThrow(/no active passkey/);
    expect(await allowedSignersFile(h.app)).not.toContain('dave@example.org');
  });
});

describe('review screen data', () => {
  it('shows the commit, its diff (rename, binary file, long line) and reachability', async () => {
    const rename = await getReview(h.app, 'demo', h.commits[3], null);
    expect(rename.title).toBe('Move the server under src/http and add a logo');
    expect(rename.statementPreview).toBeNull();
    expect(rename.viewerKeyTrusted).toBeNull();
    expect(rename.reachable).toBe(true);
    // On main, and on the demo's open change (branch farewell), which branches off main's tip.
    expect(rename.branches).toEqual(['farewell', 'main']);
    const moved = rename.diff.files.find((f) => f.status === 'renamed')!;
    expect([moved.oldPath, moved.path]).toEqual(['src/server.js', 'src/http/server.js']);
    expect(rename.diff.files.find((f) => f.path === 'assets/logo.png')).toMatchObject({ binary: true, status: 'added' });

    const long = await getReview(h.app, 'demo', h.commits[2], bob.user);
    const locales = long.diff.files.find((f) => f.path === 'src/locales.js')!;
    expect(locales.hunks[0].lines[0].text.length).toBeGreaterThan(300);
    expect(long.statementPreview).toMatch(/^countersign review statement v1\nrepository: demo\n/);
  });

  it('a commit on no branch is reviewable but marked unreachable', async () => {
    const work = await mkdtemp(path.join(h.root, 'side-'));
    await gitIn(h.root, 'clone', '--quiet', h.remote, work);
    await gitIn(work, 'commit', '--quiet', '--allow-empty', '-m', 'Side work');
    const side = (await gitIn(work, 'rev-parse', 'HEAD')).trim();
    await gitIn(work, 'push', '--quiet', 'origin', `${side}:refs/heads/side`);
    await h.app.repo('demo').refresh({ maxAgeMs: 0 });
    await gitIn(work, 'push', '--quiet', 'origin', ':refs/heads/side');
    await h.app.repo('demo').refresh({ maxAgeMs: 0 });
    const review = await getReview(h.app, 'demo', side, null);
    expect(review.reachable).toBe(false);
    expect(review.branches).toEqual([]);
  });
});

describe('requests and the inbox', () => {
  it('lists requested commits newest first with counts and whether the viewer signed', async () => {
    await createRequest(h.app, { repo: 'demo', commit: reviewed, requestedBy: 'bob@example.org' });
    await createRequest(h.app, { repo: 'demo', commit: h.commits[4], requestedBy: 'bot:ci' });
    const inbox = await getInbox(h.app, carol.user);
    expect(inbox.map((i) => i.commit).slice(0, 2)).toEqual([h.commits[4], reviewed]);
    expect(inbox[1]).toMatchObject({ count: 2, threshold: 2, met: true, viewerHasSigned: true, requestedBy: 'bob@example.org' });
    expect(inbox[0]).toMatchObject({ viewerHasSigned: false, requestedBy: 'bot:ci' });
    await expect(createRequest(h.app, { repo: 'demo', commit: 'a'.repeat(40), requestedBy: 'x' })).rejects.toMatchObject({ code: 'unknown-commit' });
  });
});
