import { generateAuthenticationOptions, type AuthenticationResponseJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { AuthRequiredError } from '../auth/context';
import { activeCredential, verifyAssertion } from '../auth/webauthn';
import { CountersignError } from '../errors';
import { evaluateLines } from '../gate/evaluate';
import { exclusionsForCommits } from '../gate/exclusions';
import { formatNoteLine } from '../notes/line';
import { readNoteLines, type PublishResult } from '../notes/store';
import { parsePublicKeyText } from '../ssh/public-key';
import { signedDataBlob, verifySshSig } from '../sshsig';
import { formatTime, VERDICTS } from '../statement/fields';
import { parseStatement, serializeStatement, statementBytes, type ReviewStatement } from '../statement/statement';
import { consumeChallenge, insertChallenge } from '../store/challenges';
import { listCredentials } from '../store/credentials';
import { findUserById } from '../store/users';
import { packageAssertion } from '../webauthn/package-assertion';
import type { App } from './app';
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
 * OpenSSH signature of the statement. The challenge is stored bound to this user, repo and commit.
 */
export async function approveOptions(
  app: App,
  viewer: UserView | null,
  repoName: string,
  commitId: string,
  req: { verdict: string },
): Promise<ApproveOptionsResult> {
  const user = requireViewer(viewer);
  if (!(VERDICTS as readonly string[]).includes(req.verdict)) {
    throw new CountersignError('bad-input', `verdict must be one of: ${VERDICTS.join(', ')}`);
  }
  const repo = app.repo(repoName);
  const commit = await resolveReviewCommit(repo, commitId);
  const trusted = await repo.trusted();
  const creds = await listCredentials(app.db, user.id);
  if (creds.length === 0) throw new CountersignError('forbidden', 'you have no active passkey; add a device first');
  const statement: ReviewStatement = {
    repository: trusted.policy.repository,
    commit: commit.id,
    tree: commit.tree,
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
 * Approving twice is harmless: if this user's key already has a line approving this commit, the
 * new signature is not added and the answer is "already" with the existing line.
 */
export async function approveVerify(
  app: App,
  viewer: UserView | null,
  repoName: string,
  commitId: string,
  req: { approvalId: string; response: AuthenticationResponseJSON },
): Promise<ApproveResultView> {
  const user = requireViewer(viewer);
  const repo = app.repo(repoName);
  const consumed = typeof req.approvalId === 'string' && req.approvalId.length <= 100
    ? consumeChallenge(app.db, 'approval', { id: req.approvalId })
    : Promise.resolve(null);
  // Two reads sent right behind the challenge's consumption, so the database round trips
  // overlap; their answers are still checked after the challenge's, in this order.
  const credLookup = activeCredential(app, req.response?.id);
  const ownerLookup = req.response?.response?.userHandle ? findUserById(app.db, user.id) : Promise.resolve(null);
  credLookup.catch(() => {});
  ownerLookup.catch(() => {});
  const challenge = await consumed;
  if (!challenge) throw new CountersignError('forbidden', 'this approval request expired or was already used; tap Approve again');
  if (challenge.userId !== user.id) throw new CountersignError('forbidden', 'this approval was prepared for another user; nothing was signed');
  if (challenge.repo !== repo.config.name || challenge.commitId !== String(commitId).toLowerCase()) {
    throw new CountersignError('forbidden', `this approval was prepared for another commit (${challenge.repo} ${challenge.commitId?.slice(0, 12)}); nothing was signed`);
  }
  const statement = parseStatement(challenge.statement!);
  // The repository side (trusted policy, the commit, its current note) is read while the
  // assertion is being checked; nothing is written before every check has passed.
  const gitSide = (async () => {
    const trusted = await repo.trusted();
    const notesRef = repo.notesRefFor(trusted);
    const [commit, lines] = await Promise.all([repo.commit(statement.commit), readNoteLines(repo.dir, notesRef, statement.commit)]);
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
  const line = formatNoteLine({ verdict: statement.verdict, signer: statement.signer, time: statement.time, signature: sshsig });

  const ctx = { repository: statement.repository, commit: commit.id, tree: commit.tree, namespace };
  const existing = linesBy(before, ctx, user.email, [cred], statement.verdict);

  let status: ApproveResultView['status'] = 'already';
  let written = line;
  let after = before;
  let published: Promise<PublishResult> | null = null;
  if (existing.length > 0) {
    written = existing[0].line;
    if (app.publisher.pending(repo.config.name)) void app.publisher.publish(repo.config.name);
  } else {
    ({ published } = await repo.outbox(notesRef).add([{ commit: commit.id, line }]));
    after = [...before, line];
    app.publisher.noteAdded(repo.config.name, notesRef, published);
  }

  // The policy as of this write (the note as read plus our line; no second read of the note),
  // worked out while the push is under way: it does not depend on the push.
  const excl = await exclusionsForCommits(repo.dir, [commit.id], trusted);
  const verdict = evaluateLines({
    lines: after,
    repository: trusted.policy.repository,
    commit: commit.id,
    tree: commit.tree,
    ...excl,
    policy: trusted.policy,
    allowedSigners: trusted.allowedSigners,
    now: new Date(),
  });
  const counted = keyTrusted(trusted, user.email, cred.sshKey);
  const warnings: string[] = [];
  if (!counted) {
    warnings.push(
      `your passkey ${cred.fingerprint} is not in ${repo.config.name}'s .countersign/allowed_signers on ${trusted.refName}: ` +
        'the approval is recorded but does not count until that line is added there',
    );
  }
  if (verdict.exclusions.some((e) => e.email.toLowerCase() === user.email)) {
    warnings.push("you are this commit's author or committer: the policy does not count an author's own approval");
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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());
