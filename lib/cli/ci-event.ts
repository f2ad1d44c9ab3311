import { UsageError } from './args';

/**
 * What `countersign ci` must check, read from the CI system's event (pure: no git, no files).
 *
 * - change: a pull request (merge request) — the head H as a change landing on the base B;
 * - range: a push (OLD..NEW, every first-parent step) or a merge queue entry (base..queued head);
 * - new-branch: a push that created a branch (OLD is the zero id): NEW against the default branch;
 * - commit: a pushed tag — the commit it names;
 * - nothing: a deleted branch or tag.
 */
export type CiTarget =
  | { kind: 'change'; event: string; head: string; base: string; baseBranch: string | null; number: number | null }
  | { kind: 'range'; event: string; from: string; to: string; ref: string | null }
  | { kind: 'new-branch'; event: string; to: string; ref: string | null; defaultBranch: string | null }
  | { kind: 'commit'; event: string; commit: string; ref: string | null; defaultBranch: string | null }
  | { kind: 'nothing'; event: string; why: string };

/** Explicit flags (Forgejo, GitLab, any CI): they win over what the event says. */
export interface CiFlags {
  event?: string;
  base?: string;
  head?: string;
  before?: string;
  after?: string;
}

const ZERO = /^0+$/;
const REV = /^[A-Za-z0-9][A-Za-z0-9._/@{}^~-]{0,250}$/;

function rev(value: unknown, what: string): string {
  if (typeof value !== 'string' || !REV.test(value) || value.includes('..')) {
    throw new UsageError(`ci: ${what} is missing or not a revision (got ${JSON.stringify(value ?? null)?.slice(0, 80)})`);
  }
  return value;
}

/** GitHub's (and Forgejo's and Gitea's, which follow it) event names, and what each is gated as. */
const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target']);

/**
 * The target from a GitHub-style event (GITHUB_EVENT_NAME, the JSON at GITHUB_EVENT_PATH), with
 * explicit flags taking precedence field by field.
 */
export function targetFromGitHubEvent(name: string, payload: Record<string, any> | null, flags: CiFlags = {}): CiTarget {
  const p = payload ?? {};
  if (PULL_REQUEST_EVENTS.has(name)) {
    const pr = p.pull_request ?? {};
    const baseBranch = typeof pr.base?.ref === 'string' ? pr.base.ref : null;
    return {
      kind: 'change',
      event: name,
      head: rev(flags.head ?? pr.head?.sha, 'the pull request head (pull_request.head.sha, or --head)'),
      base: rev(flags.base ?? pr.base?.sha, 'the pull request base (pull_request.base.sha, or --base)'),
      baseBranch: flags.base !== undefined ? null : baseBranch,
      number: typeof pr.number === 'number' ? pr.number : typeof p.number === 'number' ? p.number : null,
    };
  }
  if (name === 'merge_group') {
    const mg = p.merge_group ?? {};
    return {
      kind: 'range',
      event: name,
      from: rev(flags.base ?? flags.before ?? mg.base_sha, 'the merge queue base (merge_group.base_sha, or --base)'),
      to: rev(flags.head ?? flags.after ?? mg.head_sha, 'the queued head (merge_group.head_sha, or --head)'),
      ref: typeof mg.base_ref === 'string' ? mg.base_ref : null,
    };
  }
  if (name === 'push') {
    const before = rev(flags.before ?? p.before, 'the old tip of the push (before, or --before)');
    const after = rev(flags.after ?? p.after, 'the new tip of the push (after, or --after)');
    const ref = typeof p.ref === 'string' ? p.ref : null;
    const defaultBranch = typeof p.repository?.default_branch === 'string' && p.repository.default_branch ? p.repository.default_branch : null;
    if (ZERO.test(after)) return { kind: 'nothing', event: name, why: `${ref ?? 'the ref'} was deleted: nothing landed` };
    if (ref?.startsWith('refs/tags/')) return { kind: 'commit', event: name, commit: after, ref, defaultBranch };
    if (ZERO.test(before)) {
      return { kind: 'new-branch', event: name, to: after, ref, defaultBranch };
    }
    return { kind: 'range', event: name, from: before, to: after, ref };
  }
  throw new UsageError(
    `ci: the event ${JSON.stringify(name)} is not one the gate runs on: use pull_request, push or merge_group (or pass --event with --base/--head or --before/--after)`,
  );
}

/** GitLab CI's predefined variables: merge request pipelines and pushes. */
export function targetFromGitLab(env: NodeJS.ProcessEnv, flags: CiFlags = {}): CiTarget {
  const source = env.CI_PIPELINE_SOURCE ?? '';
  if (source === 'merge_request_event' || env.CI_MERGE_REQUEST_IID) {
    const branch = env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME ?? null;
    return {
      kind: 'change',
      event: 'merge_request',
      head: rev(flags.head ?? env.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA ?? env.CI_COMMIT_SHA, 'the merge request head (CI_COMMIT_SHA, or --head)'),
      // The target branch as it is now (fetched if need be): where the merge would land.
      base: rev(flags.base ?? (branch ? `refs/remotes/origin/${branch}` : undefined), 'the merge request target branch (CI_MERGE_REQUEST_TARGET_BRANCH_NAME, or --base)'),
      baseBranch: flags.base !== undefined ? null : branch,
      number: env.CI_MERGE_REQUEST_IID ? Number(env.CI_MERGE_REQUEST_IID) : null,
    };
  }
  if (source === 'push' || source === '') {
    const ref = env.CI_COMMIT_TAG ? `refs/tags/${env.CI_COMMIT_TAG}` : env.CI_COMMIT_BRANCH ? `refs/heads/${env.CI_COMMIT_BRANCH}` : null;
    return targetFromGitHubEvent(
      'push',
      { before: env.CI_COMMIT_BEFORE_SHA, after: env.CI_COMMIT_SHA, ref, repository: { default_branch: env.CI_DEFAULT_BRANCH } },
      flags,
    );
  }
  throw new UsageError(`ci: the GitLab pipeline source ${JSON.stringify(source)} is not one the gate runs on: run it for merge_request_event and push pipelines`);
}

/** Only flags (no event file): `--event pull_request --base B --head H`, `--event push --before O --after N`, `--event merge_group --base B --head H`. */
export function targetFromFlags(flags: CiFlags): CiTarget {
  const event = flags.event === 'merge_request' ? 'pull_request' : (flags.event ?? '');
  return targetFromGitHubEvent(event, null, flags);
}
