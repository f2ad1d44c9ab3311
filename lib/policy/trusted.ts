import { parseAllowedSigners, type AllowedSigner } from '../allowed-signers';
import { CountersignError } from '../errors';
import { checkNotOption, readObjects } from '../git/objects';
import { runGit } from '../git/run';
import { ALLOWED_SIGNERS_PATH, POLICY_PATH, parsePolicy, type Policy } from './policy';

export interface TrustedPolicy {
  policy: Policy;
  allowedSigners: AllowedSigner[];
  allowedSignersText: string;
  /** The ref the policy was read from, as given or as found (e.g. "refs/remotes/origin/main"). */
  ref: string;
  /** Short name for messages ("origin/main"). */
  refName: string;
  /** The commit the files were read at: both files come from this one snapshot. */
  commit: string;
}

export interface TrustedPolicyOptions {
  /** Remote whose default branch is trusted when no ref is given (default "origin"). */
  remote?: string;
}

const FULL_ID_RE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

export function shortRefName(ref: string): string {
  return ref.replace(/^refs\/(remotes|heads|tags)\//, '');
}

/**
 * The ref a bot trusts when none is given: the remote's default branch
 * (`refs/remotes/<remote>/HEAD`, else `<remote>/main`, else `<remote>/master`). Only in a repository
 * that has no refs of that remote at all (a bare server-side repository, a repo with no remote)
 * the local `main` / `master` is used. Never the commit under review or the current checkout.
 */
export async function defaultPolicyRef(repoDir: string, remote = 'origin'): Promise<string> {
  checkNotOption(remote, 'remote name');
  const { stdout } = await runGit(
    ['for-each-ref', '--format=%(refname)%09%(symref)', `refs/remotes/${remote}/`, 'refs/heads/main', 'refs/heads/master'],
    { cwd: repoDir },
  );
  const refs = new Map<string, string>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [name, symref = ''] = line.split('\t');
    refs.set(name, symref);
  }
  const remoteHead = refs.get(`refs/remotes/${remote}/HEAD`);
  if (remoteHead && refs.has(remoteHead)) return remoteHead;
  for (const b of ['main', 'master']) if (refs.has(`refs/remotes/${remote}/${b}`)) return `refs/remotes/${remote}/${b}`;
  const hasRemoteRefs = [...refs.keys()].some((r) => r.startsWith(`refs/remotes/${remote}/`));
  if (!hasRemoteRefs) for (const b of ['main', 'master']) if (refs.has(`refs/heads/${b}`)) return `refs/heads/${b}`;
  throw new CountersignError(
    'bad-policy',
    hasRemoteRefs
      ? `cannot tell the default branch of remote "${remote}" in ${repoDir} (no ${remote}/HEAD, ${remote}/main or ${remote}/master); pass --policy-ref REF`
      : `no remote "${remote}" branches and no local main/master in ${repoDir} to read the policy from; fetch the remote or pass --policy-ref REF`,
  );
}

async function resolveRefToCommit(repoDir: string, ref: string): Promise<string | null> {
  const r = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { cwd: repoDir, allowFailure: true });
  const id = r.stdout.trim();
  return r.code === 0 && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id) ? id : null;
}

/**
 * Reads `.countersign/policy.json` and `.countersign/allowed_signers` from the trusted ref (never
 * from the commit under review: otherwise a change could add its own signers or lower the threshold).
 * Throws CountersignError('bad-policy') when either file is missing or broken, naming the ref.
 */
export async function loadTrustedPolicy(repoDir: string, policyRef?: string | null, opts: TrustedPolicyOptions = {}): Promise<TrustedPolicy> {
  const ref = policyRef ? checkNotOption(policyRef, 'policy ref') : await defaultPolicyRef(repoDir, opts.remote ?? 'origin');
  const refName = shortRefName(ref);
  const commit = await resolveRefToCommit(repoDir, ref);
  if (!commit) {
    throw new CountersignError('bad-policy', `policy ref ${JSON.stringify(ref)} does not name a commit; fetch it or pass another --policy-ref`);
  }
  return { ...(await loadPolicyAtCommit(repoDir, commit, refName)), ref };
}

/**
 * Both policy files from one exact commit (a full id), `label` naming it in messages (e.g.
 * "origin/main", or "the parent of 1234abcd"). `ref` and `refName` of the result are the commit
 * id and the label.
 */
export async function loadPolicyAtCommit(repoDir: string, commitId: string, label: string): Promise<TrustedPolicy> {
  if (!FULL_ID_RE.test(commitId)) throw new CountersignError('bad-input', `${JSON.stringify(commitId.slice(0, 80))} is not a full commit id`);
  const commit = commitId;
  const refName = label;
  const [policyObj, signersObj] = await readObjects(repoDir, [`${commit}:${POLICY_PATH}`, `${commit}:${ALLOWED_SIGNERS_PATH}`]);
  const where = `${refName} (${commit.slice(0, 12)})`;
  if (!policyObj.found || policyObj.type !== 'blob') {
    throw new CountersignError(
      'bad-policy',
      `no ${POLICY_PATH} on ${where}; commit one there with at least {"repository": ..., "threshold": ...}, or pass --policy-ref REF`,
    );
  }
  if (!signersObj.found || signersObj.type !== 'blob') {
    throw new CountersignError('bad-policy', `no ${ALLOWED_SIGNERS_PATH} on ${where}; commit the trusted signers' keys there (OpenSSH allowed_signers format)`);
  }
  const policy = parsePolicy(policyObj.content.toString('utf8'), `${POLICY_PATH} on ${refName}`);
  const allowedSignersText = signersObj.content.toString('utf8');
  let allowedSigners: AllowedSigner[];
  try {
    allowedSigners = parseAllowedSigners(allowedSignersText, `${ALLOWED_SIGNERS_PATH} on ${refName}`);
  } catch (e) {
    // A broken trusted signers file is a broken policy: the gate cannot decide anything with it.
    throw new CountersignError('bad-policy', (e as Error).message, { cause: e });
  }
  return { policy, allowedSigners, allowedSignersText, ref: commit, refName, commit };
}
