import { createHash } from 'node:crypto';
import { CountersignError } from '../errors';
import { checkAllowedSigners, principalsForKey, type AllowedSigner } from '../allowed-signers';
import { signerIdentities } from '../allowed-signers/identity';
import { resolveCommit, type CommitInfo } from '../git/commit';
import { readNoteLines } from '../notes/store';
import { isOurLine, parseNoteLine, statementFor, type NoteLine } from '../notes/line';
import type { Policy } from '../policy/policy';
import { policyForCommit, type TrustedPolicy } from '../policy/trusted';
import { exclusionsForCommits, type Exclusion } from './exclusions';
import { PRINCIPAL_RE, TIME_RE, VERDICT_RE } from '../statement/fields';
import { statementBytes } from '../statement/statement';
import { checkSshSig, parseSshSig, policyFailure } from '../sshsig';
import { fingerprintSha256 } from '../ssh/public-key';
import { SIG_WEBAUTHN_SK_ECDSA_P256 } from '../ssh/signature';
import { Lru } from './lru';

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
  /** Where the policy this verdict applies was read: the trusted ref, or the commit's first parent when the commit is already on it. */
  policyFrom?: string;
  /** The commit the policy files were read at. */
  policyCommit?: string;
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
  /** Raises the policy's threshold; a lower value is ignored (the policy's threshold applies). */
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

/**
 * What a note may cost the gate. A note is written by whoever can push the notes ref, so its size
 * is not ours to choose: of our lines, at most `maxBytes` are read, and at most `maxVerified`
 * signatures are verified (lines whose key the trusted allowed_signers lists first, so planted
 * lines by unknown keys cannot crowd out real approvals). Every line beyond is reported invalid,
 * "note too large". Real notes hold a handful of lines.
 */
export const NOTE_BUDGET = { maxBytes: 1024 * 1024, maxVerified: 256 } as const;

/**
 * What the policy says of a good signature beyond OpenSSH's checks: UP/UV flags, and for passkeys
 * and security keys the RP ID (the key's application) and the WebAuthn origin, which must be ones
 * the policy names. A policy without `rpIds` (or, for passkeys, `origins`) counts no passkey at all:
 * otherwise an app on a sibling host under a parent-domain RP ID could harvest counted approvals.
 * Null when the policy accepts it.
 */
function policyProblem(c: { key: unknown; signatureType: string; flags?: number; origin?: string }, policy: Policy): string | null {
  const refused = policyFailure(c, {
    requireUserPresence: policy.requireUserPresence,
    requireUserVerification: policy.requireUserVerification,
    origins: policy.origins ?? undefined,
  });
  if (refused) return refused.reason;
  const application = skApplication(c.key);
  if (application !== null) {
    if (!policy.rpIds) {
      return `passkey and security-key signatures count only for RP IDs the policy names: add "rpIds": [${JSON.stringify(application)}] to .countersign/policy.json`;
    }
    if (!policy.rpIds.includes(application)) {
      return `passkey RP ID ${JSON.stringify(application)} is not one the policy allows (${policy.rpIds.join(', ')})`;
    }
  }
  if (c.signatureType === SIG_WEBAUTHN_SK_ECDSA_P256 && !policy.origins) {
    return `passkey signatures count only from origins the policy names: add "origins": [${JSON.stringify(c.origin ?? '')}] to .countersign/policy.json`;
  }
  return null;
}

/** A line as verified, before counting. */
type Checked = { verdict: LineVerdict; signer?: AllowedSigner; parsed?: NoteLine };

/** Verifies one parsed line once (the signature, then allowed_signers, then the policy), as `ssh-keygen -Y verify` would plus our policy. */
function checkLine(raw: string, parsed: NoteLine, input: EvaluateLinesInput): Checked {
  const { policy } = input;
  const base = { line: raw, signer: parsed.signer, verdict: parsed.verdict, time: parsed.time };
  const invalid = (reason: string, fingerprint?: string): Checked => ({
    verdict: { ...base, ok: false, reason, ...(fingerprint ? { fingerprint } : {}), counted: false, status: 'invalid' },
  });
  let message: Uint8Array;
  try {
    message = statementBytes(statementFor(parsed, { repository: input.repository, commit: input.commit, tree: input.tree }));
  } catch (e) {
    return invalid(`cannot rebuild the statement: ${(e as Error).message}`);
  }
  try {
    const c = checkSshSig({ signature: parsed.signature, message, namespace: policy.namespace });
    if (!c.ok) return invalid(c.reason, c.fingerprint);
    const allowed = checkAllowedSigners(input.allowedSigners, { key: c.key, identity: parsed.signer, namespace: policy.namespace, now: input.now });
    const problem = policyProblem(c, policy);
    if (!allowed.ok) {
      // A key listed nowhere: a good signature by a key nobody trusts (yet), "valid-untrusted"
      // when listing the key would make it count. A key listed for another principal stays
      // invalid: the line claims someone the key does not belong to.
      if (allowed.failure === 'not-allowed' && principalsForKey(input.allowedSigners, c.key).length === 0 && !problem) {
        return { verdict: { ...base, ok: false, reason: allowed.reason, fingerprint: c.fingerprint, counted: false, status: 'valid-untrusted' } };
      }
      return invalid(allowed.failure === 'not-allowed' && principalsForKey(input.allowedSigners, c.key).length === 0 ? problem! : allowed.reason, c.fingerprint);
    }
    if (problem) return invalid(problem, c.fingerprint);
    return { verdict: { ...base, ok: true, fingerprint: c.fingerprint, counted: false, status: 'counted' }, signer: allowed.signer, parsed };
  } catch (e) {
    // The verifier reports failures as results; a throw is still a failed line, never a crash of the gate.
    return invalid((e as Error).message);
  }
}

/** Is the key embedded in this line's signature listed in allowed_signers? (Cheap: no verification.) */
function listedKey(parsed: NoteLine, signers: readonly AllowedSigner[]): boolean {
  try {
    return principalsForKey(signers, parseSshSig(parsed.signature).publicKey).length > 0;
  } catch {
    return false;
  }
}

/**
 * Decides, line by line, which signatures on one commit verify and count. Pure (its cache only
 * saves repeating the same work: see evaluationCache).
 *
 * A line counts when it parses, its statement (rebuilt from the trusted repository name, this
 * commit and its tree, and the line's verdict/signer/time) verifies under the line's signer in
 * the trusted allowed_signers with the policy's namespace, flags, RP IDs and origins, its verdict
 * is "approve", its signer is not excluded (an author, committer or commit signer of the change,
 * matched by signer identity), and that person has not been counted already. People, not strings,
 * are counted: allowed_signers lines tied by one key or a shared principal are one signer
 * (lib/allowed-signers/identity.ts), so two devices, two addresses on one line, a wildcard line
 * or one key under several lines all count once.
 */
export function evaluateLines(input: EvaluateLinesInput): LinesVerdict {
  const nowSec = Math.floor(input.now.getTime() / 1000);
  const key = cacheKey(input);
  const hit = verdictCache.get(key);
  if (hit && nowSec >= hit.from && nowSec < hit.until) {
    evaluationCache.hits++;
    return { ...hit.verdict, lines: hit.verdict.lines.slice(), signers: hit.verdict.signers.slice() };
  }
  evaluationCache.misses++;
  const verdict = evaluateLinesUncached(input);
  const window = validityWindow(input.allowedSigners, nowSec);
  const size = input.lines.reduce((n, l) => n + l.length + 64, 1024);
  verdictCache.set(key, { verdict, ...window }, size);
  return { ...verdict, lines: verdict.lines.slice(), signers: verdict.signers.slice() };
}

function evaluateLinesUncached(input: EvaluateLinesInput): LinesVerdict {
  const { policy } = input;
  // An override may raise the bar, never lower it (the CLI refuses a lower one outright).
  const threshold = Math.max(input.thresholdOverride ?? 0, policy.threshold);
  const exclusions = input.exclusions;
  const excludedAuthor = exclusions.find((e) => e.role === 'author')?.email;
  const failures = input.failures ?? [];
  // Counting is by signer identity (lib/allowed-signers/identity.ts): one person counts once
  // whatever address, line or key they sign with.
  const identities = signerIdentities(input.allowedSigners);
  const excludedIdentities = new Map<number, Exclusion>();
  for (const e of exclusions) {
    const ids = [...identities.matching(e.email), ...(e.fingerprint ? identities.ofKey(e.fingerprint) : [])];
    for (const id of ids) if (!excludedIdentities.has(id)) excludedIdentities.set(id, e);
  }

  // 1. Read within the byte budget; 2. choose what to verify within the line budget.
  const slots: Array<Checked | { raw: string; parsed: NoteLine; listed: boolean } | null> = [];
  let bytes = 0;
  const tooLarge = (raw: string, why: string): Checked => ({
    verdict: { line: raw, ...looseFields(raw), ok: false, reason: `note too large: ${why}; this line was not checked`, counted: false, status: 'invalid' },
  });
  for (const raw of input.lines) {
    bytes += raw.length + 1;
    if (bytes > NOTE_BUDGET.maxBytes) {
      slots.push(tooLarge(raw, `only the first ${NOTE_BUDGET.maxBytes / 1024} KiB of a note's countersign lines are read`));
      continue;
    }
    try {
      const parsed = parseNoteLine(raw);
      slots.push({ raw, parsed, listed: listedKey(parsed, input.allowedSigners) });
    } catch (e) {
      slots.push({ verdict: { line: raw, ...looseFields(raw), ok: false, reason: `unreadable line: ${(e as Error).message}`, counted: false, status: 'invalid' } });
    }
  }
  const pending = slots.flatMap((s, i) => (s && 'raw' in s ? [{ i, listed: s.listed }] : []));
  const chosen = new Set([...pending.filter((p) => p.listed), ...pending.filter((p) => !p.listed)].slice(0, NOTE_BUDGET.maxVerified).map((p) => p.i));

  const countedSigners: string[] = [];
  const countedIdentities = new Map<number, string>(); // identity -> principal counted for it
  const lines: LineVerdict[] = [];
  slots.forEach((slot, i) => {
    if (!slot || !('raw' in slot)) {
      lines.push(slot!.verdict);
      return;
    }
    if (!chosen.has(i)) {
      lines.push(tooLarge(slot.raw, `at most ${NOTE_BUDGET.maxVerified} signatures of a note are verified`).verdict);
      return;
    }
    const checked = checkLine(slot.raw, slot.parsed, input);
    if (!checked.signer) {
      lines.push(checked.verdict);
      return;
    }
    const parsed = slot.parsed;
    const identity = identities.of(checked.signer);
    const notCounted = (reason: string): LineVerdict => ({ ...checked.verdict, reason, counted: false, status: 'not-counted' });
    let excluded: Exclusion | undefined;
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
      lines.push({ ...checked.verdict, counted: true, status: 'counted' });
    }
  });

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

// ---------------------------------------------------------------------------------------------
// The verdict cache: the same note, under the same policy, for the same exclusions, is decided
// once. The key digests everything the verdict depends on (the note's lines, i.e. its blob, the
// commit and tree, the policy and allowed_signers, exclusions, failures, threshold); `now` matters
// only across an allowed_signers validity boundary, so an entry holds for the window between two.

const verdictCache = new Lru<{ verdict: LinesVerdict; from: number; until: number }>(1000, 64 * 1024 * 1024);

/** Hit and miss counts (for benchmarks and tests), and a way to empty the cache. */
export const evaluationCache = {
  hits: 0,
  misses: 0,
  clear() {
    verdictCache.clear();
    this.hits = 0;
    this.misses = 0;
  },
};

const signersDigests = new WeakMap<readonly AllowedSigner[], string>();
function signersDigest(signers: readonly AllowedSigner[]): string {
  let d = signersDigests.get(signers);
  if (d === undefined) {
    const h = createHash('sha256');
    for (const s of signers) {
      h.update(JSON.stringify([s.principals, fingerprintSha256(s.key), s.certAuthority, s.namespaces ?? null, s.validAfter ?? null, s.validBefore ?? null]));
      h.update('\n');
    }
    d = h.digest('hex');
    signersDigests.set(signers, d);
  }
  return d;
}

function cacheKey(input: EvaluateLinesInput): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([input.repository, input.commit, input.tree, input.policy, signersDigest(input.allowedSigners)]));
  h.update(JSON.stringify([input.exclusions, input.failures ?? [], input.warnings ?? [], input.thresholdOverride ?? null]));
  h.update(String(input.lines.length));
  for (const l of input.lines) {
    h.update('\n');
    h.update(l);
  }
  return h.digest('hex');
}

/** The seconds around `nowSec` within which no allowed_signers line becomes valid or expires. */
function validityWindow(signers: readonly AllowedSigner[], nowSec: number): { from: number; until: number } {
  let from = -Infinity;
  let until = Infinity;
  for (const s of signers) {
    for (const b of [s.validAfter, s.validBefore === undefined ? undefined : s.validBefore + 1]) {
      if (b === undefined) continue;
      if (b <= nowSec) from = Math.max(from, b);
      else until = Math.min(until, b);
    }
  }
  return { from, until };
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

/**
 * The policy a commit is judged by (policyForCommit). When there is none (the commit is on the
 * trusted ref and its parent has no policy, e.g. the commit that introduced it), the commit cannot
 * pass: the trusted policy is used to show its lines, with a failure saying why.
 */
export async function governingPolicy(repoDir: string, trusted: TrustedPolicy, commitId: string): Promise<{ trusted: TrustedPolicy; failures: string[] }> {
  try {
    return { trusted: await policyForCommit(repoDir, trusted, commitId), failures: [] };
  } catch (e) {
    if (!(e instanceof CountersignError) || e.code !== 'bad-policy') throw e;
    return { trusted, failures: [`${commitId.slice(0, 12)} is on ${trusted.refName} and has no usable policy before it (${e.message}): it cannot be approved after the fact`] };
  }
}

/** Reads the commit and its note lines (local notes: fetch first) and evaluates them against the trusted policy. */
export async function evaluateCommit(input: EvaluateCommitInput): Promise<CommitVerdict> {
  return evaluateResolvedCommit({ ...input, commit: await resolveCommit(input.repoDir, input.commit) });
}

/** evaluateCommit for a commit already read, e.g. one the CLI resolved from a revision such as HEAD. */
export async function evaluateResolvedCommit(
  input: Omit<EvaluateCommitInput, 'commit'> & { commit: Pick<CommitInfo, 'id' | 'tree' | 'author'> },
): Promise<CommitVerdict> {
  const { commit } = input;
  // A commit already on the trusted ref is judged by the policy from before it (policyForCommit).
  const full = 'commit' in input.trusted && 'allowedSignersText' in input.trusted ? (input.trusted as TrustedPolicy) : null;
  const governed = full ? await governingPolicy(input.repoDir, full, commit.id) : { trusted: input.trusted, failures: [] };
  const trusted = governed.trusted;
  const { policy, allowedSigners } = trusted;
  const [lines, excl] = await Promise.all([
    readNoteLines(input.repoDir, input.notesRef ?? policy.notesRef, commit.id),
    exclusionsForCommits(input.repoDir, [commit.id], trusted, input.now),
  ]);
  excl.failures = [...governed.failures, ...excl.failures];
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
  const from = full ? { policyFrom: (trusted as TrustedPolicy).refName, policyCommit: (trusted as TrustedPolicy).commit } : {};
  return { commit: commit.id, tree: commit.tree, author: commit.author.email, ...from, ...verdict };
}
