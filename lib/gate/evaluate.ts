import { principalsForKey, type AllowedSigner } from '../allowed-signers';
import { signerIdentities } from '../allowed-signers/identity';
import { resolveCommit, type CommitInfo } from '../git/commit';
import { readNoteLines } from '../notes/store';
import { isOurLine, parseNoteLine, statementFor, type NoteLine } from '../notes/line';
import type { Policy } from '../policy/policy';
import type { TrustedPolicy } from '../policy/trusted';
import { exclusionsForCommits, type Exclusion } from './exclusions';
import { PRINCIPAL_RE, TIME_RE, VERDICT_RE } from '../statement/fields';
import { statementBytes } from '../statement/statement';
import { checkSshSig, policyFailure, verifySshSig } from '../sshsig';

/** The verdict that counts toward the threshold. Other verdicts are recorded but never counted. */
export const APPROVE = 'approve';

/**
 * Where a line stands, so that a reader is told the truth about it:
 * - counted: verifies under the trusted policy and counts toward the threshold;
 * - not-counted: verifies under the trusted policy but does not count (not an approval, the
 *   excluded author, a signer or key already counted);
 * - valid-untrusted: a good signature of this very statement, meeting the policy's flags, origins
 *   and RP IDs, by a key the trusted allowed_signers does not list at all (typically a reviewer
 *   whose line has not been added yet): recorded, does not count, would once the key is listed;
 * - invalid: does not verify (unreadable, bad signature, another statement or namespace, a key
 *   listed for someone else or outside its validity window, UP/UV/origin/RP ID policy).
 */
export type LineStatus = 'counted' | 'not-counted' | 'valid-untrusted' | 'invalid';

/** One note line as the gate sees it (maps 1:1 onto lib/server/types.ts SignatureLineView). */
export interface LineVerdict {
  line: string;
  signer: string;
  verdict: string;
  time: string;
  /** The signature verifies for this commit under the policy (trusted key, namespace, flags, RP ID, origin). */
  ok: boolean;
  /** Why it does not verify, or why a good signature does not count. */
  reason?: string;
  fingerprint?: string;
  counted: boolean;
  status: LineStatus;
}

export interface LinesVerdict {
  threshold: number;
  count: number;
  met: boolean;
  /** Principals counted, in note order. */
  signers: string[];
  /** The first excluded author's address (for display); see `exclusions` for everyone excluded. */
  excludedAuthor?: string;
  /** Who does not count for this change (policy excludeAuthor): authors, committers, verified commit signers. */
  exclusions: Exclusion[];
  /** Said beside the verdict (e.g. that the exclusion rests on an unverified author field). */
  warnings: string[];
  /** Why the change fails whatever its approvals (e.g. a commit without the required commit signature). */
  failures: string[];
  lines: LineVerdict[];
}

export interface CommitVerdict extends LinesVerdict {
  commit: string;
  tree: string;
  /** The commit author's e-mail address. */
  author: string;
}

export interface EvaluateLinesInput {
  /** Our note lines for the commit (see lib/notes/line.ts noteLines). */
  lines: string[];
  repository: string;
  commit: string;
  tree: string;
  /** Who must not count (exclusionsForCommits; empty when the policy's excludeAuthor is false). */
  exclusions: Exclusion[];
  /** Passed through into the verdict (exclusionsForCommits' warnings). */
  warnings?: string[];
  /** Passed through; any failure makes the verdict unmet (exclusionsForCommits' failures). */
  failures?: string[];
  policy: Policy;
  allowedSigners: AllowedSigner[];
  now: Date;
  thresholdOverride?: number;
}

/** Best-effort fields of a line that does not parse, for display only (never trusted). */
function looseFields(line: string): Pick<LineVerdict, 'signer' | 'verdict' | 'time'> {
  const parts = line.split(' ');
  const pick = (i: number, re: RegExp) => (isOurLine(line) && parts[i] && re.test(parts[i]) ? parts[i] : '?');
  return { verdict: pick(1, VERDICT_RE), signer: pick(2, PRINCIPAL_RE), time: pick(3, TIME_RE) };
}

/** The application (WebAuthn RP ID) of a security-key / passkey public key, or null for plain keys. */
function skApplication(key: unknown): string | null {
  const k = key as { type?: string; application?: string } | undefined;
  if (!k || typeof k.type !== 'string' || !k.type.startsWith('sk-')) return null;
  return typeof k.application === 'string' ? k.application : null;
}

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Why an excluded signer's line does not count; names the commit when it is another of the change's commits. */
function exclusionReason(e: Exclusion, commit: string, signer: string): string {
  const who = e.role === 'commit-signer' ? 'verified signer' : e.role;
  const of = e.commit === commit ? "the commit's" : `commit ${e.commit.slice(0, 12)}'s`;
  const same = sameAddress(e.email, signer) ? '' : ` (${e.email}, the same signer in allowed_signers)`;
  return `${of} ${who}${same} does not count (policy excludeAuthor)`;
}

/** Why the policy refuses a passkey of this RP ID, or null. */
function rpIdRefusal(key: unknown, policy: Policy): string | null {
  const application = skApplication(key);
  if (!policy.rpIds || application === null || policy.rpIds.includes(application)) return null;
  return `passkey RP ID ${JSON.stringify(application)} is not one the policy allows (${policy.rpIds.join(', ')})`;
}

/**
 * For a good signature by an unlisted key: what else in the policy refuses it (UP/UV flags,
 * origin, RP ID), so that "valid, key not trusted" is only said of a line that listing the key
 * would make count. Null when nothing does.
 */
function untrustedKeyProblem(signature: Uint8Array, message: Uint8Array, policy: Policy): string | null {
  // Checked again for its flags and origin, which a refusal does not carry.
  const check = checkSshSig({ signature, message, namespace: policy.namespace });
  if (!check.ok) return check.reason;
  const refused = policyFailure(check, {
    requireUserPresence: policy.requireUserPresence,
    requireUserVerification: policy.requireUserVerification,
    origins: policy.origins ?? undefined,
  });
  return refused?.reason ?? rpIdRefusal(check.key, policy);
}

/**
 * Pure: decides, line by line, which signatures on one commit verify and count.
 *
 * A line counts when it parses, its statement (rebuilt from the trusted repository name, this
 * commit and its tree, and the line's verdict/signer/time) verifies under the line's signer in
 * the trusted allowed_signers with the policy's namespace, flags, RP IDs and origins, its verdict
 * is "approve", its signer is not the excluded author, and neither that signer nor that key has
 * already been counted. Several lines of one signer (two devices, a re-sign) count once; one key
 * listed under two principals counts once.
 */
export function evaluateLines(input: EvaluateLinesInput): LinesVerdict {
  const { policy } = input;
  const threshold = input.thresholdOverride ?? policy.threshold;
  const exclusions = input.exclusions;
  const excludedAuthor = exclusions.find((e) => e.role === 'author')?.email;
  const failures = input.failures ?? [];
  const countedSigners: string[] = [];
  // Counting is by signer identity (lib/allowed-signers/identity.ts): one person counts once
  // whatever address, line or key they sign with.
  const identities = signerIdentities(input.allowedSigners);
  const countedIdentities = new Map<number, string>(); // identity -> principal counted for it
  const excludedIdentities = new Map<number, Exclusion>();
  for (const e of exclusions) {
    const ids = [...identities.matching(e.email), ...(e.fingerprint ? identities.ofKey(e.fingerprint) : [])];
    for (const id of ids) if (!excludedIdentities.has(id)) excludedIdentities.set(id, e);
  }
  const lines: LineVerdict[] = [];
  let excluded: Exclusion | undefined;

  for (const raw of input.lines) {
    let parsed: NoteLine;
    try {
      parsed = parseNoteLine(raw);
    } catch (e) {
      lines.push({ line: raw, ...looseFields(raw), ok: false, reason: `unreadable line: ${(e as Error).message}`, counted: false, status: 'invalid' });
      continue;
    }
    const base = { line: raw, signer: parsed.signer, verdict: parsed.verdict, time: parsed.time };

    let message: Uint8Array;
    try {
      message = statementBytes(statementFor(parsed, { repository: input.repository, commit: input.commit, tree: input.tree }));
    } catch (e) {
      lines.push({ ...base, ok: false, reason: `cannot rebuild the statement: ${(e as Error).message}`, counted: false, status: 'invalid' });
      continue;
    }

    let result: ReturnType<typeof verifySshSig>;
    try {
      result = verifySshSig({
        signature: parsed.signature,
        message,
        namespace: policy.namespace,
        allowedSigners: input.allowedSigners,
        identity: parsed.signer,
        now: input.now,
        requireUserPresence: policy.requireUserPresence,
        requireUserVerification: policy.requireUserVerification,
        origins: policy.origins ?? undefined,
      });
    } catch (e) {
      // The verifier reports failures as results; a throw is still a failed line, never a crash of the gate.
      lines.push({ ...base, ok: false, reason: (e as Error).message, counted: false, status: 'invalid' });
      continue;
    }
    if (!result.ok) {
      const refused = { ...base, ok: false, reason: result.reason, ...(result.fingerprint ? { fingerprint: result.fingerprint } : {}), counted: false };
      // The verifier reads allowed_signers only after the signature itself checked out, so a key
      // that is listed nowhere means a good signature by a key nobody trusts (yet). A key listed
      // for another principal stays invalid: the line claims someone the key does not belong to.
      if (result.failure === 'not-allowed' && result.key && principalsForKey(input.allowedSigners, result.key).length === 0) {
        const problem = untrustedKeyProblem(parsed.signature, message, policy);
        lines.push(problem ? { ...refused, reason: problem, status: 'invalid' } : { ...refused, status: 'valid-untrusted' });
      } else {
        lines.push({ ...refused, status: 'invalid' });
      }
      continue;
    }
    const fingerprint = result.fingerprint;
    const identity = result.signer ? identities.of(result.signer) : identities.ofKey(fingerprint)[0] ?? -1;
    const rpIdProblem = rpIdRefusal(result.key, policy);
    if (rpIdProblem) {
      lines.push({ ...base, ok: false, fingerprint, reason: rpIdProblem, counted: false, status: 'invalid' });
      continue;
    }

    const good = { ...base, ok: true, fingerprint };
    const notCounted = (reason: string): LineVerdict => ({ ...good, reason, counted: false, status: 'not-counted' });
    if (parsed.verdict !== APPROVE) {
      lines.push(notCounted(`verdict "${parsed.verdict}" does not count toward approval`));
    } else if ((excluded = exclusions.find((e) => sameAddress(parsed.signer, e.email)) ?? excludedIdentities.get(identity))) {
      lines.push(notCounted(exclusionReason(excluded, input.commit, parsed.signer)));
    } else if (countedSigners.some((s) => sameAddress(s, parsed.signer))) {
      lines.push(notCounted(`${parsed.signer} is already counted`));
    } else if (countedIdentities.has(identity)) {
      const prior = countedIdentities.get(identity)!;
      lines.push(notCounted(`already counted for ${prior}: allowed_signers ties ${parsed.signer} and ${prior} to one signer (one line, or one key)`));
    } else {
      countedSigners.push(parsed.signer);
      countedIdentities.set(identity, parsed.signer);
      lines.push({ ...good, counted: true, status: 'counted' });
    }
  }

  const count = countedSigners.length;
  return {
    threshold,
    count,
    met: count >= threshold && failures.length === 0,
    signers: countedSigners,
    ...(excludedAuthor ? { excludedAuthor } : {}),
    exclusions,
    warnings: input.warnings ?? [],
    failures,
    lines,
  };
}

export interface EvaluateCommitInput {
  repoDir: string;
  /** Full commit id. */
  commit: string;
  trusted: Pick<TrustedPolicy, 'policy' | 'allowedSigners'>;
  /** Default: the policy's notesRef. */
  notesRef?: string;
  now?: Date;
  thresholdOverride?: number;
}

/** Reads the commit and its note lines (local notes: fetch first) and evaluates them against the trusted policy. */
export async function evaluateCommit(input: EvaluateCommitInput): Promise<CommitVerdict> {
  return evaluateResolvedCommit({ ...input, commit: await resolveCommit(input.repoDir, input.commit) });
}

/** evaluateCommit for a commit already read, e.g. one the CLI resolved from a revision such as HEAD. */
export async function evaluateResolvedCommit(
  input: Omit<EvaluateCommitInput, 'commit'> & { commit: Pick<CommitInfo, 'id' | 'tree' | 'author'> },
): Promise<CommitVerdict> {
  const { policy, allowedSigners } = input.trusted;
  const { commit } = input;
  const [lines, excl] = await Promise.all([
    readNoteLines(input.repoDir, input.notesRef ?? policy.notesRef, commit.id),
    exclusionsForCommits(input.repoDir, [commit.id], input.trusted),
  ]);
  const verdict = evaluateLines({
    lines,
    repository: policy.repository,
    commit: commit.id,
    tree: commit.tree,
    exclusions: excl.exclusions,
    warnings: excl.warnings,
    failures: excl.failures,
    policy,
    allowedSigners,
    now: input.now ?? new Date(),
    thresholdOverride: input.thresholdOverride,
  });
  return { commit: commit.id, tree: commit.tree, author: commit.author.email, ...verdict };
}
