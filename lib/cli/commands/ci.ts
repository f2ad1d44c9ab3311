import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CountersignError } from '../../errors';
import { isAncestor, mergeBase } from '../../git/ancestry';
import { defaultBranchOfRemote, resolveCommit } from '../../git/commit';
import { checkRemoteName, commitPresent, fetchForGate, isShallow, unshallow } from '../ci-git';
import { targetFromFlags, targetFromGitHubEvent, targetFromGitLab, type CiFlags, type CiTarget } from '../ci-event';
import { evaluateApproval } from '../../landing/approval';
import { LandingContext } from '../../landing/context';
import { loadPolicyAtCommit } from '../../policy/trusted';
import { flag, parseCommandArgs, positiveInt, str, UsageError } from '../args';
import { EXIT_FAILED, EXIT_OK } from '../exit';
import { formatVerifyTable, printable } from '../format';
import type { CliIO } from '../io';
import { fetchNotesOrWarn, repoDir } from '../repo';
import type { Command } from './types';
import { verifyCommand } from './verify';

const HELP = `usage: countersign ci [options]

The gate for one CI run. It reads the event the CI system gives the job and checks it:
  pull_request (also pull_request_target; GitLab merge_request_event)
      the pull request's head as a change landing on its base: approvals of the head whose base
      is an ancestor of the base (the reviewer saw every commit it brings), the authors of all
      of its commits excluded, and a clean merge; the policy is read from the base
  push        verify --range BEFORE..AFTER: every first-parent step covered (a new branch: from
              where it leaves the default branch; a tag: the commit it names; a deletion: nothing)
  merge_group verify --range BASE..HEAD for the merge queue's entry: what will land
GitHub Actions, Forgejo and Gitea Actions: GITHUB_EVENT_NAME and GITHUB_EVENT_PATH. GitLab CI:
CI_PIPELINE_SOURCE and the CI_COMMIT_* / CI_MERGE_REQUEST_* variables. Anywhere else, or to
override: --event with --base/--head or --before/--after.

It fetches what the gate needs from the remote: the notes, the commits named by the event, and
the whole history when the clone is shallow (a depth-limited checkout cannot show merge bases).

  --repo DIR           the git clone (default: the current directory)
  --remote NAME        remote to fetch from (default: origin)
  --event NAME         pull_request, push or merge_group (default: from the CI environment)
  --event-path FILE    the event's JSON payload (default: GITHUB_EVENT_PATH)
  --base REV --head REV    a change (pull_request), or a queue entry (merge_group)
  --before REV --after REV a push
  --threshold N        require N distinct signers, at least the policy's threshold (raise only)
  --json               print JSON instead of text
  --no-fetch           fetch nothing: a shallow clone or a missing commit is then an error
  -h, --help           this help

Exit status: 0 the gate passes, 1 it does not (or a fetch failed), 2 bad input or setup (an
unknown event, a shallow clone with --no-fetch).
`;

const short = (id: string) => id.slice(0, 12);

export const ciCommand: Command = {
  name: 'ci',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(
      'ci',
      argv,
      {
        repo: { type: 'string' },
        remote: { type: 'string' },
        event: { type: 'string' },
        'event-path': { type: 'string' },
        base: { type: 'string' },
        head: { type: 'string' },
        before: { type: 'string' },
        after: { type: 'string' },
        threshold: { type: 'string' },
        json: { type: 'boolean' },
        'no-fetch': { type: 'boolean' },
      },
      { min: 0, max: 0 },
    );
    if (args.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const repo = await repoDir(io.cwd, str(args, 'repo'));
    const remote = str(args, 'remote') ?? 'origin';
    checkRemoteName(remote);
    const thresholdText = str(args, 'threshold');
    const thresholdOverride = positiveInt('ci', thresholdText, '--threshold');
    const noFetch = flag(args, 'no-fetch');
    const json = flag(args, 'json');
    const target = await readTarget(io, {
      event: str(args, 'event'),
      eventPath: str(args, 'event-path'),
      flags: { event: str(args, 'event'), base: str(args, 'base'), head: str(args, 'head'), before: str(args, 'before'), after: str(args, 'after') },
    });
    io.stderr.write(`countersign: ci: ${describeTarget(target)}\n`);
    if (target.kind === 'nothing') {
      if (json) io.stdout.write(JSON.stringify({ ok: true, event: target.event, kind: target.kind, message: target.why }, null, 2) + '\n');
      else io.stdout.write(`OK: ${target.why}\n`);
      return EXIT_OK;
    }

    await getHistory(repo, remote, target, noFetch, io);

    // What verify would be asked: the same options, so its output and exit codes are the gate's.
    const passOn = ['--repo', repo, '--remote', remote, ...(thresholdText ? ['--threshold', thresholdText] : []), ...(json ? ['--json'] : []), ...(noFetch ? ['--no-fetch'] : [])];
    switch (target.kind) {
      case 'range':
        return verifyCommand.run([...passOn, '--range', `${target.from}..${target.to}`], io);
      case 'commit': {
        // A tag may be an annotated tag object: verify the commit it names, by the default branch's policy.
        const commit = await resolveCommit(repo, `${target.commit}^{}`, { allowRevisions: true });
        return verifyCommand.run([...passOn, ...(target.defaultBranch ? ['--policy-ref', target.defaultBranch] : []), commit.id], io);
      }
      case 'new-branch': {
        const from = await newBranchBase(repo, remote, target, noFetch, io);
        if (from === target.to) {
          const message = `${printable(target.ref ?? target.to, 100)} starts at ${short(target.to)}, already on the default branch: nothing new landed`;
          io.stdout.write(json ? JSON.stringify({ ok: true, event: target.event, kind: target.kind, message }, null, 2) + '\n' : `OK: ${message}\n`);
          return EXIT_OK;
        }
        return verifyCommand.run([...passOn, '--range', `${from}..${target.to}`], io);
      }
      case 'change':
        return runChange(repo, remote, target, { json, noFetch, thresholdOverride }, io);
    }
  },
};

/** Where the event comes from: explicit flags, GitLab's variables, or a GitHub-style event file. */
async function readTarget(io: CliIO, o: { event?: string; eventPath?: string; flags: CiFlags }): Promise<CiTarget> {
  // An empty variable counts as unset (a job may blank one to keep it from leaking into a step).
  const env = Object.fromEntries(Object.entries(io.env).filter(([, v]) => v !== '')) as NodeJS.ProcessEnv;
  const name = o.event ?? (env.GITLAB_CI === 'true' ? undefined : env.GITHUB_EVENT_NAME);
  const path = o.eventPath ?? (o.event === undefined || o.event === env.GITHUB_EVENT_NAME ? env.GITHUB_EVENT_PATH : undefined);
  if (name === undefined && env.GITLAB_CI === 'true') return targetFromGitLab(env, o.flags);
  if (name === undefined) {
    throw new UsageError(
      'ci: no CI event: run it in GitHub, Forgejo or Gitea Actions (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH) or GitLab CI, or pass --event pull_request --base REV --head REV, --event push --before OLD --after NEW, or --event merge_group --base REV --head REV',
    );
  }
  if (!path) return targetFromFlags({ ...o.flags, event: name });
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(await readFile(resolve(io.cwd, path), 'utf8'));
  } catch (e) {
    throw new UsageError(`ci: cannot read the event payload ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new UsageError(`ci: the event payload ${path} is not a JSON object`);
  return targetFromGitHubEvent(name === 'merge_request' ? 'pull_request' : name, payload, o.flags);
}

function describeTarget(t: CiTarget): string {
  switch (t.kind) {
    case 'change':
      return `${t.event}${t.number !== null ? ` #${t.number}` : ''}: the change ${printable(t.head, 64)} onto ${printable(t.baseBranch ?? t.base, 100)}`;
    case 'range':
      return `${t.event}${t.ref ? ` to ${printable(t.ref, 100)}` : ''}: every first-parent step ${printable(t.from, 64)}..${printable(t.to, 64)}`;
    case 'new-branch':
      return `${t.event}: new ${printable(t.ref ?? 'branch', 100)} at ${printable(t.to, 64)}, checked from where it leaves the default branch`;
    case 'commit':
      return `${t.event} of ${printable(t.ref ?? 'a tag', 100)}: the commit it names`;
    case 'nothing':
      return `${t.event}: ${t.why}`;
  }
}

/** The ids the gate starts from, each fetched by id if the clone lacks it (unless --no-fetch). */
function neededIds(t: CiTarget): string[] {
  switch (t.kind) {
    case 'change':
      return [t.head, t.base];
    case 'range':
      return [t.from, t.to];
    case 'new-branch':
      return [t.to];
    case 'commit':
      return [t.commit];
    case 'nothing':
      return [];
  }
}

/**
 * A shallow clone cuts history at its depth: merge bases, a change's commits and the steps of a
 * push would silently be missing, so the gate would refuse for the wrong reason (or, worse,
 * compare against the wrong base). Fetch the whole history, or say exactly what is needed.
 */
async function getHistory(repo: string, remote: string, t: CiTarget, noFetch: boolean, io: CliIO): Promise<void> {
  const ids = neededIds(t);
  const branch = t.kind === 'change' ? t.baseBranch : null;
  if (noFetch) {
    if (await isShallow(repo)) {
      throw new CountersignError(
        'bad-input',
        `ci: ${repo} is a shallow clone, and the gate needs the full history of ${ids.map((i) => printable(i, 64)).join(' and ')} (merge bases, every commit of the change or push): ` +
          `check out with fetch-depth: 0 (GitHub/Forgejo actions/checkout; GitLab GIT_DEPTH: 0), run \`git fetch --unshallow ${remote}\` first, or leave out --no-fetch and countersign ci fetches it`,
      );
    }
    return;
  }
  if (await isShallow(repo)) {
    io.stderr.write(
      `countersign: ci: the clone is shallow; fetching the whole history from ${remote} (the gate needs merge bases and every commit of the change or push). ` +
        `To save this step, check out with fetch-depth: 0 (GitLab: GIT_DEPTH: 0)\n`,
    );
    await unshallow(repo, remote);
  }
  await fetchForGate(repo, remote, ids, branch);
  for (const id of ids) {
    if (!(await commitPresent(repo, id))) {
      throw new CountersignError(
        'git-failed',
        `ci: commit ${printable(id, 100)} is not in ${repo} and could not be fetched from ${remote}` +
          (t.kind === 'range' && id === t.from ? ' (the old tip of a force-push is gone from the remote: the history was rewritten, and the gate refuses it)' : ''),
      );
    }
  }
}

/** A new branch is checked from its merge base with the default branch (the event's, else the remote's). */
async function newBranchBase(repo: string, remote: string, t: Extract<CiTarget, { kind: 'new-branch' }>, noFetch: boolean, io: CliIO): Promise<string> {
  let ref: string;
  if (t.defaultBranch) {
    if (!noFetch) await fetchForGate(repo, remote, [], t.defaultBranch);
    ref = `refs/remotes/${remote}/${t.defaultBranch}`;
  } else {
    ref = (await defaultBranchOfRemote(repo, remote)).ref;
  }
  const tip = await resolveCommit(repo, ref, { allowRevisions: true });
  const to = await resolveCommit(repo, t.to, { allowRevisions: true });
  const mb = await mergeBase(repo, tip.id, to.id);
  if (!mb) {
    throw new CountersignError(
      'bad-input',
      `ci: the new branch at ${short(to.id)} shares no history with the default branch (${ref}): nothing to check it against; verify its commits with countersign verify`,
    );
  }
  io.stderr.write(`countersign: ci: the new branch leaves ${ref} at ${short(mb)}\n`);
  return mb;
}

/**
 * A pull request: would its head H, landing on the base tip P, be covered? The approvals of H
 * whose base is an ancestor of P and of H count (evaluateApproval: the reviewer saw every commit
 * H brings to P; authors and committers of all of them excluded), under the policy in P's tree —
 * the branch the change lands on, never the change itself. And H must merge onto P without
 * conflicts: a hand-resolved merge is a new result that needs its own approval.
 */
async function runChange(
  repo: string,
  remote: string,
  t: Extract<CiTarget, { kind: 'change' }>,
  opts: { json: boolean; noFetch: boolean; thresholdOverride?: number },
  io: CliIO,
): Promise<number> {
  const head = await resolveCommit(repo, t.head, { allowRevisions: true });
  const base = await resolveCommit(repo, t.base, { allowRevisions: true });
  const label = `${t.baseBranch ?? 'the base'} at ${short(base.id)}`;
  const trusted = await loadPolicyAtCommit(repo, base.id, label);
  if (opts.thresholdOverride !== undefined && opts.thresholdOverride < trusted.policy.threshold) {
    throw new CountersignError(
      'bad-input',
      `--threshold ${opts.thresholdOverride} is below the policy's threshold ${trusted.policy.threshold} on ${label}: --threshold may raise the bar, never lower it`,
    );
  }
  if (!opts.noFetch) await fetchNotesOrWarn(repo, remote, trusted.policy.notesRef, io);

  const problems: string[] = [];
  const mb = await mergeBase(repo, base.id, head.id);
  if (!mb) problems.push(`${short(head.id)} shares no history with ${label}`);
  else if (mb === head.id || (await isAncestor(repo, head.id, base.id))) problems.push(`${short(head.id)} is already contained in ${label}: nothing to land`);
  const ctx = new LandingContext(repo, trusted.policy.notesRef);
  const approval = await evaluateApproval(ctx, { head, parent: base.id, steps: 1, trusted, now: new Date(), thresholdOverride: opts.thresholdOverride });
  if (mb && problems.length === 0) {
    const merged = await ctx.merge(base.id, head.id);
    if (!merged.clean) problems.push(`${short(head.id)} does not merge cleanly onto ${label} (${merged.reason}): update the change and have it approved again`);
  }
  const ok = approval.met && problems.length === 0;

  if (opts.json) {
    const { lines, count, threshold, signers, exclusions, warnings, failures, bases, changeCommits } = approval;
    io.stdout.write(
      JSON.stringify(
        {
          ok,
          event: t.event,
          kind: 'change',
          number: t.number,
          head: head.id,
          base: base.id,
          baseBranch: t.baseBranch,
          mergeBase: mb,
          policy: { commit: trusted.commit, from: label, repository: trusted.policy.repository, threshold, namespace: trusted.policy.namespace, notesRef: trusted.policy.notesRef },
          count,
          threshold,
          signers,
          bases,
          changeCommits,
          exclusions,
          problems,
          failures,
          warnings,
          lines,
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    const table = formatVerifyTable(trusted, [{ ...approval, commit: head.id, tree: head.tree, author: head.author.email, title: head.title }]).replace(
      /\n\n(OK|FAILED): [^\n]*\n$/,
      '\n',
    );
    io.stdout.write(table);
    const n = approval.changeCommits.length;
    io.stdout.write(`\nthe change: ${n} commit(s) from ${mb ? short(mb) : '(no merge base)'} to ${short(head.id)}, onto ${printable(label, 120)}\n`);
    for (const p of problems) io.stdout.write(`problem: ${printable(p, 400)}\n`);
    io.stdout.write(
      ok
        ? `\nOK: the change meets the policy (${approval.count}/${approval.threshold}: ${approval.signers.map((s) => printable(s, 60)).join(', ')})\n`
        : `\nFAILED: the change does not meet the policy (${approval.count} of ${approval.threshold} approvals count for it${problems.length ? `; ${problems.length} problem(s) above` : ''})\n`,
    );
  }
  for (const f of approval.failures) io.stderr.write(`countersign: ${short(head.id)}: ${f}\n`);
  for (const w of new Set(approval.warnings)) io.stderr.write(`countersign: warning: ${w}\n`);
  return ok ? EXIT_OK : EXIT_FAILED;
}
