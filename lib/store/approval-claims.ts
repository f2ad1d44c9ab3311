import type { Queryable } from './db';
import { toIso } from './db';

/**
 * One approval per (repository, commit, key, verdict, base), decided atomically by the database so
 * that it holds for a double tap and across instances sharing PostgreSQL: the first to insert the
 * claim writes its note line; every other attempt gets the claimed line back instead.
 */
export interface ApprovalClaimKey {
  repo: string;
  commitId: string;
  keyFingerprint: string;
  verdict: string;
  /** The change's base; null for a single commit (v1 statement). */
  base: string | null;
}

export interface ApprovalClaim extends ApprovalClaimKey {
  line: string;
  claimedAt: string;
  /** The instance (lib/instances) that claimed it; null on the embedded database. */
  instanceId: number | null;
  /** Milliseconds since it was claimed, by the database's clock (the same for every instance). */
  ageMs: number;
}

const keyParams = (k: ApprovalClaimKey) => [k.repo, k.commitId, k.keyFingerprint, k.verdict, k.base ?? ''];
const WHERE = 'repo = $1 and commit_id = $2 and key_fingerprint = $3 and verdict = $4 and base = $5';

function map(r: any): ApprovalClaim {
  return {
    repo: r.repo,
    commitId: r.commit_id,
    keyFingerprint: r.key_fingerprint,
    verdict: r.verdict,
    base: r.base === '' ? null : r.base,
    line: r.line,
    claimedAt: toIso(r.claimed_at)!,
    instanceId: r.instance_id === null || r.instance_id === undefined ? null : Number(r.instance_id),
    ageMs: Math.max(0, Number(r.age_ms ?? 0)),
  };
}

/**
 * Claims the approval for `line`. Returns `{ won: true }` if this call inserted the claim,
 * otherwise the claim that stands (another call's line).
 */
export async function claimApproval(
  db: Queryable,
  k: ApprovalClaimKey,
  line: string,
  attempts = 3,
  instanceId: number | null = null,
): Promise<{ won: true } | { won: false; claim: ApprovalClaim }> {
  const inserted = await db.query(
    `insert into approval_claims(repo, commit_id, key_fingerprint, verdict, base, line, instance_id) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict do nothing returning line`,
    [...keyParams(k), line, instanceId],
  );
  if (inserted.length > 0) return { won: true };
  const rows = await findClaim(db, k);
  // Released between our insert and this read (the winner's write failed): try once more.
  if (rows.length === 0 && attempts > 1) return claimApproval(db, k, line, attempts - 1, instanceId);
  if (rows.length === 0) throw new Error('approval claim vanished repeatedly');
  return { won: false, claim: map(rows[0]) };
}

async function findClaim(db: Queryable, k: ApprovalClaimKey): Promise<any[]> {
  return db.query(`select *, (extract(epoch from (now() - claimed_at)) * 1000)::float8 as age_ms from approval_claims where ${WHERE}`, keyParams(k));
}

/** The claim that stands for this key, if any. */
export async function currentClaim(db: Queryable, k: ApprovalClaimKey): Promise<ApprovalClaim | null> {
  const rows = await findClaim(db, k);
  return rows.length ? map(rows[0]) : null;
}

/**
 * Takes over a claim whose line never reached the notes (its writer died between claim and
 * write): succeeds only if the claim still holds `staleLine` and is older than `minAgeMs`, so two
 * callers cannot both take it over.
 */
export async function takeOverClaim(
  db: Queryable,
  k: ApprovalClaimKey,
  staleLine: string,
  line: string,
  minAgeMs: number,
  instanceId: number | null = null,
): Promise<boolean> {
  const rows = await db.query(
    `update approval_claims set line = $6, claimed_at = now(), instance_id = $9
     where ${WHERE} and line = $7 and claimed_at < now() - ($8 || ' milliseconds')::interval returning line`,
    [...keyParams(k), line, staleLine, String(minAgeMs), instanceId],
  );
  return rows.length > 0;
}

/** Gives a claim up (its line could not be written), unless someone else holds it by now. */
export async function releaseClaim(db: Queryable, k: ApprovalClaimKey, line: string): Promise<void> {
  await db.query(`delete from approval_claims where ${WHERE} and line = $6`, [...keyParams(k), line]);
}
