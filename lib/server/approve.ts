import { generateAuthenticationOptions, type AuthenticationResponseJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { AuthRequiredError } from '../auth/context';
import { activeCredential, verifyAssertion } from '../auth/webauthn';
import { CountersignError, isCountersignError } from '../errors';
import { evaluateLines, governingPolicy, type LinesVerdict } from '../gate/evaluate';
import { exclusionsForCommits } from '../gate/exclusions';
import { formatNoteLine, parseNoteLine } from '../notes/line';
import { readNoteLines, type PublishResult } from '../notes/store';
import { parsePublicKeyText } from '../ssh/public-key';
import { signedDataBlob, verifySshSig } from '../sshsig';
import { formatTime, VERDICTS } from '../statement/fields';
import { parseStatement, serializeStatement, statementBytes, type ReviewStatement } from '../statement/statement';
import { claimApproval, currentClaim, releaseClaim, takeOverClaim, type ApprovalClaimKey } from '../store/approval-claims';
import { consumeChallenge, findChallenge, insertChallenge } from '../store/challenges';
import { listCredentials } from '../store/credentials';
import { findUserById } from '../store/users';
import { packageAssertion } from '../webauthn/package-assertion';
import { instanceOf } from '../instances';
import type { App } from './app';
import type { RepoHandle } from './repos';
import { checkChangeBase, evaluateChange } from './change';
import { resolveReviewCommit } from './commits';
import { policyState } from './review';
import { keyTrusted, linesBy, ownSigners } from './trust';
import type { ApproveResultView, UserView } from './types';

/** How long an approval waits for its push before answering "saved" (the push goes on regardless). */
export const PUBLISH_WAIT_MS = 10_000;

export interface ApproveOptionsResult {
  approvalId: string;
  statement: string;
  namespace: string;
  options: PublicKeyCredentialRequestOptionsJSON;
}

function requireViewer(viewer: UserView | null): UserView {
  if (!viewer) throw new AuthRequiredError('sign in to approve');
  return viewer;
}

/**
 * Step 1: the statement the passkey will sign. Its repository name comes from the trusted policy,
 * commit and tree from the server's clone, signer from the session, time from the clock; the
 * WebAuthn challenge is exactly the SSHSIG signed-data blob of it, so the passkey's signature is an
 * OpenSSH signature of the statement. The challenge is stored bound to this user, repo and commit
 * (and, for a change, its base).
 *
 * With `base` (a full id, as the change page names it) the statement is v2: it approves the change
 * from that base to the commit. The base must be a commit of the repository and an ancestor of
 * the commit; nothing else is recomputed, so what is signed is the base the reviewer was shown.
 */
export async function approveOptions(
  app: App,
  viewer: UserView | null,
  repoName: string,
  commitId: string,
  req: { verdict: string; base?: string },
): Promise<ApproveOptionsResult> {
  const user = requireViewer(viewer);
  if (!(VERDICTS as readonly string[]).includes(req.verdict)) {
    throw new CountersignError('bad-input', `verdict must be one of: ${VERDICTS.join(', ')}`);
  }
  const repo = app.repo(repoName);
  const commit = await resolveReviewCommit(repo, commitId, { fetchOnDemand: true, fresh: true });
  const base = req.base === undefined || req.base === null ? undefined : String(req.base).toLowerCase();
  if (base !== undefined) await checkChangeBase(repo, commit.id, base);
  const trusted = await repo.trusted();
  const creds = await listCredentials(app.db, user.id);
  if (creds.length === 0) throw new CountersignError('forbidden', 'you have no active passkey; add a device first');
  const statement: ReviewStatement = {
    repository: trusted.policy.repository,
    commit: commit.id,
    tree: commit.tree,
    ...(base !== undefined ? { base } : {}),
    verdict: req.verdict,
    signer: user.email,
    time: formatTime(new Date()),
  };
  const text = serializeStatement(statement);
  const blob = signedDataBlob(trusted.policy.namespace, statementBytes(statement));
  const options = await generateAuthenticationOptions({
    rpID: app.config.rpId,
    // A Uint8Array is used as is; a string would be UTF-8 encoded, not decoded.
    challenge: new Uint8Array(blob),
    allowCredentials: creds.map((c) => ({ id: c.id, transports: c.transports })),
    userVerification: 'required',
  });
  const row = await insertChallenge(app.db, {
    kind: 'approval',
    challenge: options.challenge,
    userId: user.id,
    repo: repo.config.name,
    commitId: commit.id,
    base: base ?? null,
    statement: text,
    verdict: req.verdict,
  });
  return { approvalId: row.id, statement: text, namespace: trusted.policy.namespace, options };
}

/**
 * Step 2: the passkey's answer becomes a note line. Refused, with nothing written, unless: the
 * approval id is unused, unexpired and was issued to this user for this repo and commit; the
 * credential is this user's and not revoked; @simplewebauthn accepts the assertion (challenge,
 * origin, RP ID, UV, counter); and the packaged SSHSIG verifies against the credential's own key
 * (defence in depth: what we store must verify with stock OpenSSH).
 *
 * Approving twice is harmless: if this key already approved this commit (with this base), the
 * new signature is not added and the answer is "already" with the existing line. That is decided
 * by the database (lib/store/approval-claims.ts), not by reading the note, so two approvals sent
 * at once (a double tap, two instances on one PostgreSQL) write one line between them.
 */
export async function approveVerify(
  app: App,
  viewer: UserView | null,
  repoName: string,
  commitId: string,
  req: { approvalId: string; base?: string | null; response: AuthenticationResponseJSON },
): Promise<ApproveResultView> {
  const user = requireViewer(viewer);
  const repo = app.repo(repoName);
  const consumed = typeof req.approvalId === 'string' && req.approvalId.length <= 100
    ? consumeChallenge(app.db, 'approval', { id: req.approvalId }, { userId: user.id })
    : Promise.resolve(null);
  // Two reads sent right behind the challenge's consumption, so the database round trips
  // overlap; their answers are still checked after the challenge's, in this order.
  const credLookup = activeCredential(app, req.response?.id);
  const ownerLookup = req.response?.response?.userHandle ? findUserById(app.db, user.id) : Promise.resolve(null);
  credLookup.catch(() => {});
  ownerLookup.catch(() => {});
  const challenge = await consumed;
  if (!challenge) {
    // Only the user it was issued to can use it up: another user's attempt leaves it usable.
    const other = typeof req.approvalId === 'string' && req.approvalId.length <= 100 ? await findChallenge(app.db, req.approvalId) : null;
    if (other && other.kind === 'approval' && other.userId !== user.id) {
      throw new CountersignError('forbidden', 'this approval was prepared for another user; nothing was signed');
    }
    throw new CountersignError('forbidden', 'this approval request expired or was already used; tap Approve again');
  }
  if (challenge.repo !== repo.config.name || challenge.commitId !== String(commitId).toLowerCase()) {
    throw new CountersignError('forbidden', `this approval was prepared for another commit (${challenge.repo} ${challenge.commitId?.slice(0, 12)}); nothing was signed`);
  }
  const askedBase = req.base === undefined || req.base === null ? null : String(req.base).toLowerCase();
  if (challenge.base !== askedBase) {
    throw new CountersignError(
      'forbidden',
      challenge.base
        ? `this approval was prepared for the change from ${challenge.base.slice(0, 12)}, not for this page; nothing was signed`
        : 'this approval was prepared for the single commit, not for a change; nothing was signed',
    );
  }
  const statement = parseStatement(challenge.statement!);
  // The repository side (trusted policy, the commit, its current note) is read while the
  // assertion is being checked; nothing is written before every check has passed.
  const gitSide = (async () => {
    const trusted = await repo.trusted();
    const notesRef = repo.notesRefFor(trusted);
    let [commit, lines] = await Promise.all([
      repo.commit(statement.commit).catch((e) => (isCountersignError(e) && e.code === 'unknown-commit' ? null : Promise.reject(e))),
      readNoteLines(repo.dir, notesRef, statement.commit),
    ]);
    if (!commit) {
      // Prepared by another instance from a commit this clone has not fetched yet (pushed after our
      // last fetch, or on no branch): fetch it now — single-flight per id, and past a remembered
      // miss, since the challenge proves the service has seen it — then read the note again.
      commit = await resolveReviewCommit(repo, statement.commit, { fetchOnDemand: true, seenByService: true, fresh: true });
      lines = await readNoteLines(repo.dir, notesRef, statement.commit);
    }
    // The base the statement names is still a commit here, and an ancestor of the head.
    if (statement.base !== undefined) await checkChangeBase(repo, commit.id, statement.base);
    return { trusted, notesRef, commit, lines };
  })();
  gitSide.catch(() => {}); // awaited below; a refusal first must not leave it unhandled

  const cred = await credLookup;
  if (cred.userId !== user.id) throw new CountersignError('forbidden', 'that passkey belongs to another user; approve with your own passkey');
  const handle = req.response.response?.userHandle;
  if (handle) {
    const owner = await ownerLookup;
    if (owner && handle !== owner.webauthnUserId) throw new CountersignError('forbidden', 'the passkey reported another user; nothing was signed');
  }
  await verifyAssertion(app, cred, req.response, challenge.challenge, 'approval');

  const { trusted, notesRef, commit, lines: before } = await gitSide;
  const namespace = trusted.policy.namespace;
  if (statement.repository !== trusted.policy.repository) {
    throw new CountersignError('conflict', 'the repository name in the trusted policy changed since this approval was prepared; tap Approve again');
  }
  if (commit.tree !== statement.tree) throw new CountersignError('conflict', 'the commit in the repository does not match the prepared statement; nothing was signed');
  const key = parsePublicKeyText(cred.sshKey);
  const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));
  const sshsig = packageAssertion({
    publicKey: key,
    authenticatorData: b64(req.response.response.authenticatorData),
    clientDataJSON: b64(req.response.response.clientDataJSON),
    signature: b64(req.response.response.signature),
    namespace,
  });
  const check = verifySshSig({
    signature: sshsig,
    message: statementBytes(statement),
    namespace,
    allowedSigners: ownSigners(user.email, [cred]),
    identity: user.email,
    requireUserPresence: true,
    requireUserVerification: true,
    origins: app.config.origins,
  });
  if (!check.ok) throw new CountersignError('bad-signature', `the packaged signature does not verify (${check.reason}); nothing was written`);
  const line = formatNoteLine({ verdict: statement.verdict, signer: statement.signer, time: statement.time, base: statement.base, signature: sshsig });

  const ctx = { repository: statement.repository, commit: commit.id, tree: commit.tree, namespace };
  const sameBase = (l: string) => parseNoteLine(l).base === statement.base;
  const existing = linesBy(before, ctx, user.email, [cred], statement.verdict).filter((e) => sameBase(e.line));
  const claimKey: ApprovalClaimKey = {
    repo: repo.config.name,
    commitId: commit.id,
    keyFingerprint: cred.fingerprint,
    verdict: statement.verdict,
    base: statement.base ?? null,
  };

  let status: ApproveResultView['status'] = 'already';
  let written = line;
  let after = before;
  let published: Promise<PublishResult> | null = null;
  const standing = existing.length > 0 ? existing[0].line : await claim(app, repo, notesRef, claimKey, line, before);
  if (standing !== null) {
    written = standing;
    if (!before.includes(standing)) after = [...before, standing];
    if (app.publisher.pending(repo.config.name)) void app.publisher.publish(repo.config.name);
  } else {
    try {
      ({ published } = await repo.outbox(notesRef).add([{ commit: commit.id, line }]));
    } catch (e) {
      // Not written: the claim must not answer "already" for a line that does not exist.
      await releaseClaim(app.db, claimKey, line).catch(() => {});
      throw e;
    }
    after = [...before, line];
    app.publisher.noteAdded(repo.config.name, notesRef, published);
    app.events?.emit('line-written', { repo: repo.config.name, commit: commit.id, notesRef, line, userId: user.id, base: statement.base ?? null });
  }

  // The policy as of this write (the note as read plus our line; no second read of the note),
  // worked out while the push is under way: it does not depend on the push. For a change, only
  // the lines that approve the whole change count, and every commit's author is excluded.
  let verdict: LinesVerdict;
  if (statement.base !== undefined) {
    verdict = (await evaluateChange(repo, trusted, notesRef, commit, statement.base, after)).verdict;
  } else {
    // As the review page and `countersign verify` judge it: a commit already on the trusted ref by
    // the policy from before it (policyForCommit).
    const { trusted: governing, failures } = await governingPolicy(repo.dir, trusted, commit.id);
    const excl = await exclusionsForCommits(repo.dir, [commit.id], governing);
    verdict = evaluateLines({
      lines: after,
      repository: governing.policy.repository,
      commit: commit.id,
      tree: commit.tree,
      ...excl,
      failures: [...failures, ...excl.failures],
      policy: governing.policy,
      allowedSigners: governing.allowedSigners,
      now: new Date(),
    });
  }
  const counted = keyTrusted(trusted, user.email, cred.sshKey);
  const warnings: string[] = [];
  if (!counted) {
    warnings.push(
      `your passkey ${cred.fingerprint} is not in ${repo.config.name}'s .countersign/allowed_signers on ${trusted.refName}: ` +
        'the approval is recorded but does not count until that line is added there',
    );
  }
  if (verdict.exclusions.some((e) => e.email.toLowerCase() === user.email)) {
    warnings.push(
      statement.base !== undefined
        ? "you are an author or committer of a commit in this change: the policy does not count an author's own approval"
        : "you are this commit's author or committer: the policy does not count an author's own approval",
    );
  }
  if (published) {
    const result = await Promise.race<PublishResult | null>([published, sleep(PUBLISH_WAIT_MS).then(() => null)]);
    status = result?.pushed ? 'published' : 'saved';
  }
  if (status === 'saved') warnings.push(`the remote could not be reached; the signature is saved and will be published automatically`);
  return {
    status,
    line: written,
    fingerprint: cred.fingerprint,
    counted,
    ...(warnings.length ? { warning: warnings.join('; ') } : {}),
    policy: policyState(verdict),
  };
}

/** A claim older than this whose line is in no note was left by a writer that died between claim and write. */
export const STALE_CLAIM_MS = 2 * 60 * 1000;
/**
 * A claim whose instance is gone (killed before it answered) is taken over once it is this old and
 * its line is still on no remote: a push the dead instance had already started has landed by then.
 */
export const DEAD_HOLDER_GRACE_MS = 4_000;

/**
 * Claims the approval for `line`. Null: this call won and must write `line`. Otherwise the line
 * that stands: another approval by the same key (a double tap, another instance) claimed it first.
 *
 * A standing line in no note this instance can see (after fetching the remote's notes) is taken
 * over — this call writes its own line instead — when its writer cannot publish it any more: the
 * instance that claimed it is gone (after DEAD_HOLDER_GRACE_MS), or the claim is older than
 * STALE_CLAIM_MS. Should the old writer come back with the line saved, it drops it before
 * publishing (lib/instances/reconcile.ts): the claim says which line stands.
 */
async function claim(app: App, repo: RepoHandle, notesRef: string, key: ApprovalClaimKey, line: string, before: string[]): Promise<string | null> {
  const me = instanceOf(app);
  const r = await claimApproval(app.db, key, line, 3, me?.id ?? null);
  if (r.won) return null;
  let standing = r.claim;
  if (before.includes(standing.line)) return standing.line;
  const seen = async () => {
    if (me) await repo.refresh({ maxAgeMs: 0 }); // published by another instance since our last fetch?
    return (await readNoteLines(repo.dir, notesRef, key.commitId)).includes(standing.line);
  };
  const deadline = Date.now() + DEAD_HOLDER_GRACE_MS + 5_000;
  for (;;) {
    const holderGone = me !== null && standing.instanceId !== null && standing.instanceId !== me.id && !(await me.alive(standing.instanceId));
    // A live writer (or this very instance, a double tap) is still at work or will publish later.
    if (!holderGone && standing.ageMs < STALE_CLAIM_MS) return standing.line;
    const minAge = holderGone ? DEAD_HOLDER_GRACE_MS : STALE_CLAIM_MS;
    if (standing.ageMs < minAge) {
      // The gone instance's claim is younger than the grace: wait it out, then look again.
      if (Date.now() > deadline) return standing.line;
      await sleep(Math.min(1000, minAge - standing.ageMs + 50));
      const now = await currentClaim(app.db, key);
      if (!now) {
        const again = await claimApproval(app.db, key, line, 3, me?.id ?? null); // released meanwhile
        if (again.won) return null;
        return again.claim.line;
      }
      if (now.line !== standing.line) return now.line;
      standing = now;
      continue;
    }
    if (await seen()) return standing.line;
    if (await takeOverClaim(app.db, key, standing.line, line, minAge, me?.id ?? null)) return null;
    const again = await claimApproval(app.db, key, line, 3, me?.id ?? null); // taken over or released just now
    return again.won ? null : again.claim.line;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());
