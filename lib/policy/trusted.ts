import { parseAllowedSigners, type AllowedSigner } from '../allowed-signers';
import { CountersignError } from '../errors';
import { checkNotOption, readObjects } from '../git/objects';
import { indexedIsAncestor } from '../git/reach-index';
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

async function refCommit(repoDir: string, fullRef: string): Promise<string | null> {
  return resolveRefToCommit(repoDir, fullRef);
}

async function hasRemote(repoDir: string, remote: string): Promise<boolean> {
  const url = await runGit(['config', '--get', `remote.${remote}.url`], { cwd: repoDir, allowFailure: true });
  if (url.code === 0 && url.stdout.trim()) return true;
  const { stdout } = await runGit(['for-each-ref', '--count=1', '--format=%(refname)', `refs/remotes/${remote}/`], { cwd: repoDir });
  return stdout.trim().length > 0;
}

const SET_HEAD_FIX = (remote: string) =>
  `run \`git remote set-head ${remote} --auto\` (it asks the remote for its default branch), or pass --policy-ref with the branch that holds the policy`;

/**
 * The ref a bot trusts when none is given: the remote's default branch, exactly as
 * `refs/remotes/<remote>/HEAD` names it. Never a guess: a missing or dangling `<remote>/HEAD` (the
 * remote's default branch was renamed, say) is an error naming the fix, not a fallback to
 * `<remote>/main` or `<remote>/master`, branches that anyone allowed to push a branch may create.
 * Only a bare repository with no such remote (the remote itself, on a server) trusts its own
 * default branch, the one its HEAD names. Never the commit under review or a checkout.
 */
export async function defaultPolicyRef(repoDir: string, remote = 'origin'): Promise<string> {
  checkNotOption(remote, 'remote name');
  const head = `refs/remotes/${remote}/HEAD`;
  const sym = await runGit(['symbolic-ref', '--quiet', head], { cwd: repoDir, allowFailure: true });
  const target = sym.stdout.trim();
  if (sym.code === 0 && target) {
    if (target.startsWith(`refs/remotes/${remote}/`) && (await refCommit(repoDir, target))) return target;
    throw new CountersignError(
      'bad-policy',
      `${remote}/HEAD points to ${shortRefName(target)}, which does not exist here (was the remote's default branch renamed?): ${SET_HEAD_FIX(remote)}`,
    );
  }
  if (await hasRemote(repoDir, remote)) {
    throw new CountersignError('bad-policy', `cannot tell the default branch of remote "${remote}": there is no ${remote}/HEAD; ${SET_HEAD_FIX(remote)}`);
  }
  const bare = await runGit(['rev-parse', '--is-bare-repository'], { cwd: repoDir, allowFailure: true });
  if (bare.stdout.trim() === 'true') {
    const own = await runGit(['symbolic-ref', '--quiet', 'HEAD'], { cwd: repoDir, allowFailure: true });
    const branch = own.stdout.trim();
    if (own.code === 0 && branch.startsWith('refs/heads/') && (await refCommit(repoDir, branch))) return branch;
  }
  throw new CountersignError(
    'bad-policy',
    `no remote "${remote}" to read the policy from: fetch from the remote (or name it with --remote), or pass --policy-ref refs/heads/BRANCH`,
  );
}

/**
 * What `--policy-ref` names. A full ref (`refs/...`) is taken as given, tags included only that way
 * (`refs/tags/v1`). A short name is a branch, never a tag or another kind of ref (a tag named
 * `main` must not stand in for the branch): `<remote>/<name>` when the repository has that remote
 * (`origin/main` may also be written), else the local branch `refs/heads/<name>`.
 */
export async function resolvePolicyRef(repoDir: string, given: string, remote = 'origin'): Promise<string> {
  checkNotOption(given, 'policy ref');
  if (given.startsWith('refs/')) return given;
  if (given === 'HEAD' || given.endsWith('/HEAD') || /[\s~^:?*\[\\]|\.\.|@\{/.test(given)) {
    throw new CountersignError(
      'bad-input',
      `--policy-ref ${JSON.stringify(given)} is not a branch name: name the branch that holds the trusted policy (e.g. main, or a full ref such as refs/remotes/${remote}/main)`,
    );
  }
  if (await hasRemote(repoDir, remote)) {
    const name = given.startsWith(`${remote}/`) ? given.slice(remote.length + 1) : given;
    return `refs/remotes/${remote}/${name}`;
  }
  return `refs/heads/${given}`;
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
  const remote = opts.remote ?? 'origin';
  const ref = policyRef ? await resolvePolicyRef(repoDir, policyRef, remote) : await defaultPolicyRef(repoDir, remote);
  const refName = shortRefName(ref);
  const commit = await resolveRefToCommit(repoDir, ref);
  if (!commit) {
    throw new CountersignError(
      'bad-policy',
      `policy ref ${JSON.stringify(ref)}${policyRef && ref !== policyRef ? ` (from ${JSON.stringify(policyRef)})` : ''} does not name a commit; fetch it or pass another --policy-ref`,
    );
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

const governing = new Map<string, Promise<TrustedPolicy>>();
const GOVERNING_MAX = 1000;

/**
 * The policy that governs `commitId`: the trusted one, unless the commit is already contained in
 * the trusted ref's commit (it is that commit, or an ancestor: merged). Then the policy is read
 * from the commit's first parent, as it stood before the commit, never from the commit itself or a
 * descendant: otherwise a commit that adds its author to allowed_signers and lowers the threshold
 * would, once merged, approve itself. The result's `refName` says where it was read from.
 */
export async function policyForCommit(repoDir: string, trusted: TrustedPolicy, commitId: string): Promise<TrustedPolicy> {
  if (!FULL_ID_RE.test(commitId)) throw new CountersignError('bad-input', `${JSON.stringify(commitId.slice(0, 80))} is not a full commit id`);
  const key = `${repoDir}\0${trusted.commit}\0${trusted.allowedSignersText.length}\0${commitId}`;
  let p = governing.get(key);
  if (!p) {
    p = governingPolicy(repoDir, trusted, commitId);
    if (governing.size >= GOVERNING_MAX) governing.delete(governing.keys().next().value as string);
    governing.set(key, p);
    p.catch(() => governing.delete(key));
  }
  return p;
}

async function governingPolicy(repoDir: string, trusted: TrustedPolicy, commitId: string): Promise<TrustedPolicy> {
  // The server's clones answer from their index of what each branch tip reaches (lib/git/reach-index.ts).
  // The trusted tip itself (a bot verifying what was just pushed) needs no git process to tell.
  const known = commitId === trusted.commit ? true : indexedIsAncestor(repoDir, commitId, trusted.commit);
  const contained = known !== null ? { code: known ? 0 : 1, stderr: '' } : await runGit(['merge-base', '--is-ancestor', commitId, trusted.commit], { cwd: repoDir, allowFailure: true });
  if (contained.code === 1) return trusted;
  if (contained.code !== 0) throw new CountersignError('git-failed', `cannot tell whether ${commitId.slice(0, 12)} is on ${trusted.refName}: ${contained.stderr.trim().slice(0, 200)}`);
  const [obj] = await readObjects(repoDir, [commitId]);
  const parent = obj.found && obj.type === 'commit' ? /^parent ([0-9a-f]+)$/m.exec(obj.content.toString('utf8').split('\n\n', 1)[0])?.[1] : undefined;
  const short = commitId.slice(0, 12);
  if (!parent) {
    throw new CountersignError('bad-policy', `${short} is the first commit of ${trusted.refName}: there is no policy before it to judge it by`);
  }
  return { ...(await loadPolicyAtCommit(repoDir, parent, `the parent of ${short} (${short} is on ${trusted.refName})`)), ref: trusted.ref };
}
