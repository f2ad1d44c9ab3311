import { resolveCommit } from '../git/commit';
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
  'add "requireSignedCommits": true to policy.json to exclude the verified commit signer instead';

/**
 * Who must not count for a change made of these commits (authors and committers of every commit;
 * with the policy's requireSignedCommits, the verified commit signers too), plus the warnings to
 * print. Empty when the policy's excludeAuthor is false.
 */
export async function exclusionsForCommits(
  repoDir: string,
  commits: string[],
  trusted: Pick<TrustedPolicy, 'policy' | 'allowedSigners'>,
): Promise<CommitExclusions> {
  const exclusions: Exclusion[] = [];
  const warnings: string[] = [];
  const failures: string[] = [];
  if (!trusted.policy.excludeAuthor) return { exclusions, warnings, failures };
  for (const id of commits) {
    const info = await resolveCommit(repoDir, id);
    exclusions.push({ email: info.author.email, role: 'author', commit: info.id, verified: false });
    exclusions.push({ email: info.committer.email, role: 'committer', commit: info.id, verified: false });
  }
  if (commits.length > 0) warnings.push(UNVERIFIED_EXCLUSION_WARNING);
  return { exclusions, warnings, failures };
}
