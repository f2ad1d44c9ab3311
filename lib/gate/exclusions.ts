import { readRawCommits } from '../git/commit';
import { checkCommitSignature } from './commit-signature';
import type { TrustedPolicy } from '../policy/trusted';

/**
 * Someone whose approval must not count for a change: an author or committer of one of its
 * commits (as the commit says: whoever wrote the commit set those fields), or the verified
 * signer of a commit signature (policy requireSignedCommits).
 */
export interface Exclusion {
  email: string;
  role: 'author' | 'committer' | 'commit-signer';
  /** The commit that names this person. */
  commit: string;
  /** True only when a signature proves it (commit-signer); author and committer fields are claims. */
  verified: boolean;
  /** commit-signer: the signing key's SHA256 fingerprint (every identity listing that key is excluded). */
  fingerprint?: string;
}

export interface CommitExclusions {
  exclusions: Exclusion[];
  /** To print beside the verdict, e.g. that the exclusion rests on an unverified author. */
  warnings: string[];
  /**
   * Reasons the change cannot pass whatever its approvals (a commit without the commit signature
   * the policy requires). Pass them to evaluateLines as `failures`.
   */
  failures: string[];
}

export const UNVERIFIED_EXCLUSION_WARNING =
  "the author's own approval is excluded by the commits' author and committer fields, which whoever made the commit sets freely; " +
  'add "requireSignedCommits": true to policy.json to exclude the verified commit signer as well';

/**
 * Who must not count for a change made of these commits (authors and committers of every commit;
 * with the policy's requireSignedCommits, the verified commit signers too), plus the warnings to
 * print, and failures: with requireSignedCommits, each commit without a good SSH commit signature
 * by a trusted key. Empty when the policy neither excludes authors nor requires signed commits.
 */
export async function exclusionsForCommits(
  repoDir: string,
  commits: string[],
  trusted: Pick<TrustedPolicy, 'policy' | 'allowedSigners'>,
  now: Date = new Date(),
): Promise<CommitExclusions> {
  const exclusions: Exclusion[] = [];
  const warnings: string[] = [];
  const failures: string[] = [];
  const { excludeAuthor, requireSignedCommits } = trusted.policy;
  if ((!excludeAuthor && !requireSignedCommits) || commits.length === 0) return { exclusions, warnings, failures };
  for (const { info, raw } of await readRawCommits(repoDir, commits)) {
    if (excludeAuthor) {
      exclusions.push({ email: info.author.email, role: 'author', commit: info.id, verified: false });
      exclusions.push({ email: info.committer.email, role: 'committer', commit: info.id, verified: false });
    }
    if (requireSignedCommits) {
      const signed = checkCommitSignature(raw, info, trusted.allowedSigners, now);
      if (!signed.ok) failures.push(`commit ${info.id.slice(0, 12)} ${signed.reason} (policy requireSignedCommits)`);
      else if (excludeAuthor) {
        exclusions.push({ email: signed.principal, role: 'commit-signer', commit: info.id, verified: true, fingerprint: signed.fingerprint });
      }
    }
  }
  if (excludeAuthor && !requireSignedCommits) warnings.push(UNVERIFIED_EXCLUSION_WARNING);
  return { exclusions, warnings, failures };
}
