/**
 * `countersign ci`: the gate as a CI job runs it (issue 9, "The gate in CI, for bots"), through
 * the real CLI entry point, fed GitHub's published example deliveries (@octokit/webhooks-examples)
 * adapted to a generated repository, GitLab CI's variables, and explicit flags.
 *
 * The CI checkout is what actions/checkout makes by default: a shallow clone (depth 1) of the
 * branch, no notes, and no pull request head (a fork's head is on no branch of the remote).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import examples from '@octokit/webhooks-examples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli';
import { AUTHOR, createDemoRepo, git, type DemoRepo } from '../support/demo-repo';
import { makeKey, makeTempDir, type KeygenKey } from '../support/ssh-keygen';

type Payload = Record<string, any>;

/** A published example delivery of `event` (the first matching `action`), deep-copied for editing. */
function example(event: string, pick: (p: Payload) => boolean = () => true): Payload {
  const found = (examples as Array<{ name: string; examples: Payload[] }>).find((e) => e.name === event)?.examples.find(pick);
  if (!found) throw new Error(`no example ${event}`);
  return structuredClone(found);
}

const ZERO = '0'.repeat(40);
/** Blank what the test runner's own CI could set, so each case sees only its own event. */
const NO_CI: Record<string, string> = { GITHUB_EVENT_NAME: '', GITHUB_EVENT_PATH: '', GITLAB_CI: '', CI_PIPELINE_SOURCE: '' };

let tmp: { dir: string; cleanup: () => Promise<void> };
let keys: Record<'bob' | 'carol', KeygenKey>;
let d: DemoRepo;
let mainTip: string;
/** A two-commit change approved by both (v2, base main); another approved one; one approved only in part; one not at all. */
const change: Record<'approved' | 'queued' | 'partial' | 'unapproved', { head: string; first: string }> = {} as never;

async function makeChange(name: string, files: number): Promise<{ head: string; first: string }> {
  await git(['checkout', '-q', '-b', name, mainTip], d.clone);
  let first = '';
  for (let i = 1; i <= files; i++) {
    const c = await d.commit({ [`src/${name}-${i}.txt`]: `${name} ${i}\n` }, `${name}: part ${i}`, AUTHOR);
    if (i === 1) first = c.id;
  }
  const head = await git(['rev-parse', 'HEAD'], d.clone);
  await git(['checkout', '-q', 'main'], d.clone);
  // As a fork's pull request: on the remote only as refs/pull/N/head, on no branch.
  await git(['push', '-q', 'origin', `${head}:refs/pull/${name}/head`], d.clone);
  return { head, first };
}

const sign = async (key: KeygenKey, identity: string, commit: string, base?: string) => {
  const r = await runCli(['sign', '--repo', d.clone, '--key', key.privatePath, '--identity', identity, ...(base ? ['--base', base] : []), commit]);
  expect(r.code, r.stderr).toBe(0);
};

/** A fresh CI checkout: depth 1, the branch's tip only, no notes. */
async function ciCheckout(name: string, branch = 'main'): Promise<string> {
  const dir = join(d.root, name);
  await git(['clone', '-q', '--depth', '1', '--branch', branch, `file://${d.remote}`, dir], d.root);
  return dir;
}

let n = 0;
async function runEvent(cwd: string, event: string, payload: Payload, extra: string[] = []): Promise<CliResult> {
  const path = join(tmp.dir, `event-${++n}.json`);
  await writeFile(path, JSON.stringify(payload));
  return runCli(['ci', ...extra], { cwd, env: { ...NO_CI, GITHUB_EVENT_NAME: event, GITHUB_EVENT_PATH: path } });
}

function pullRequest(action: string, head: string, base: string): Payload {
  const p = example('pull_request', (e) => e.action === action);
  p.pull_request.head.sha = head;
  p.pull_request.base.sha = base;
  p.pull_request.base.ref = 'main';
  return p;
}

beforeAll(async () => {
  tmp = await makeTempDir('countersign-ci-');
  keys = { bob: await makeKey(tmp.dir, 'ed25519', 'bob'), carol: await makeKey(tmp.dir, 'ecdsa', 'carol') };
  d = await createDemoRepo({
    signers: [
      { principal: 'bob@example.org', publicKey: keys.bob.publicKeyText },
      { principal: 'carol@example.org', publicKey: keys.carol.publicKeyText },
    ],
    policy: { threshold: 2 },
    commits: 1,
  });
  mainTip = await git(['rev-parse', 'main'], d.clone);
  change.approved = await makeChange('approved', 2);
  change.queued = await makeChange('queued', 2);
  change.partial = await makeChange('partial', 2);
  change.unapproved = await makeChange('unapproved', 1);
  for (const c of [change.approved, change.queued]) {
    await sign(keys.bob, 'bob@example.org', c.head, 'main');
    await sign(keys.carol, 'carol@example.org', c.head, 'main');
  }
  // Both approve only the last commit of `partial` (v1: its base is its first parent).
  await sign(keys.bob, 'bob@example.org', change.partial.head);
  await sign(keys.carol, 'carol@example.org', change.partial.head);
}, 180_000);

afterAll(async () => {
  await d?.cleanup();
  await tmp?.cleanup();
});

describe('pull_request (GitHub, Forgejo, Gitea): the head as a change landing on its base', () => {
  it('passes for a change both reviewers approved against main, from a shallow checkout without the head or the notes', async () => {
    const cwd = await ciCheckout('ci-pr-ok');
    const r = await runEvent(cwd, 'pull_request', pullRequest('synchronize', change.approved.head, mainTip));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/the clone is shallow; fetching the whole history/);
    expect(r.stdout).toContain(`the change: 2 commit(s) from ${mainTip.slice(0, 12)} to ${change.approved.head.slice(0, 12)}`);
    expect(r.stdout).toMatch(/OK: the change meets the policy \(2\/2: bob@example.org, carol@example.org\)/);
    expect(await git(['rev-parse', '--is-shallow-repository'], cwd)).toBe('false');
  });

  it('fails for a change whose reviewers approved only its last commit, saying why', async () => {
    const cwd = await ciCheckout('ci-pr-partial');
    const r = await runEvent(cwd, 'pull_request', pullRequest('opened', change.partial.head, mainTip), ['--json']);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, kind: 'change', head: change.partial.head, base: mainTip, count: 0, threshold: 2 });
    expect(out.lines).toHaveLength(2);
    for (const l of out.lines) expect(l.reason).toMatch(/is not an ancestor of .*the reviewer did not see every change/);
  });

  it('fails for a change nobody approved (pull_request_target, same payload)', async () => {
    const cwd = await ciCheckout('ci-pr-none');
    const r = await runEvent(cwd, 'pull_request_target', pullRequest('reopened', change.unapproved.head, mainTip));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED: the change does not meet the policy \(0 of 2/);
  });

  it('refuses a shallow checkout with --no-fetch, naming the depth to use', async () => {
    const cwd = await ciCheckout('ci-pr-nofetch');
    const r = await runEvent(cwd, 'pull_request', pullRequest('synchronize', change.approved.head, mainTip), ['--no-fetch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a shallow clone, and the gate needs the full history .*fetch-depth: 0 .*GIT_DEPTH: 0.*git fetch --unshallow origin/);
  });

  it('runs with explicit flags where no event file exists (any CI)', async () => {
    const cwd = await ciCheckout('ci-pr-flags');
    const ok = await runCli(['ci', '--event', 'pull_request', '--base', mainTip, '--head', change.approved.head], { cwd, env: NO_CI });
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await runCli(['ci', '--event', 'pull_request', '--base', mainTip, '--head', change.unapproved.head], { cwd, env: NO_CI });
    expect(bad.code).toBe(1);
  });
});

describe('GitLab CI: merge request pipelines from its predefined variables', () => {
  const gitlab = (head: string) => ({
    ...NO_CI,
    GITLAB_CI: 'true',
    CI_PIPELINE_SOURCE: 'merge_request_event',
    CI_COMMIT_SHA: head,
    CI_MERGE_REQUEST_IID: '7',
    CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
  });

  it('passes an approved change and fails an unapproved one against the target branch', async () => {
    const cwd = await ciCheckout('ci-gitlab');
    const ok = await runCli(['ci'], { cwd, env: gitlab(change.queued.head) });
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stderr).toMatch(/merge_request #7: the change [0-9a-f]{40} onto main/);
    const bad = await runCli(['ci'], { cwd, env: gitlab(change.unapproved.head) });
    expect(bad.code).toBe(1);
  });
});

describe('push: verify --range BEFORE..AFTER', () => {
  let merged: string;
  let direct: string;

  beforeAll(async () => {
    // The approved change lands with the merge button; then someone pushes a commit straight to main.
    await git(['merge', '-q', '--no-ff', '-m', 'Merge pull request #1', change.approved.head], d.clone);
    merged = await git(['rev-parse', 'HEAD'], d.clone);
    await git(['push', '-q', 'origin', 'main'], d.clone);
    direct = (await d.commit({ 'src/sneaky.txt': 'unreviewed\n' }, 'Sneak in a change', AUTHOR)).id;
    await git(['push', '-q', 'origin', 'main'], d.clone);
  });

  const push = (before: string, after: string, ref = 'refs/heads/main') => {
    const p = example('push', (e) => e.ref === 'refs/heads/master');
    Object.assign(p, { before, after, ref, created: before === ZERO, deleted: false });
    p.repository.default_branch = 'main';
    return p;
  };

  it('passes when every step is covered (the merge of an approved change)', async () => {
    const cwd = await ciCheckout('ci-push-ok');
    const r = await runEvent(cwd, 'push', push(mainTip, merged));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/carried over from [0-9a-f]{12} \(merge/);
    expect(r.stdout).toMatch(/OK: every step from/);
  });

  it('fails when a step is not covered, naming it', async () => {
    const cwd = await ciCheckout('ci-push-bad');
    const r = await runEvent(cwd, 'push', push(merged, direct), ['--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.steps).toMatchObject([{ commit: direct, covered: false }]);
  });

  it('a force-push whose old tip is gone from the remote fails, saying the history was rewritten', async () => {
    await git(['checkout', '-q', '-b', 'rewritten', merged], d.clone);
    const old = (await d.commit({ 'src/old.txt': 'old\n' }, 'Old tip', AUTHOR)).id;
    await git(['push', '-q', 'origin', 'rewritten'], d.clone);
    await git(['reset', '-q', '--hard', merged], d.clone);
    await git(['checkout', '-q', 'main'], d.clone);
    await git(['branch', '-q', '-D', 'rewritten'], d.clone);
    await git(['push', '-q', '--force', 'origin', `${merged}:refs/heads/rewritten`], d.clone);
    await git(['reflog', 'expire', '--expire=now', '--all'], d.remote);
    await git(['gc', '-q', '--prune=now'], d.remote);
    const cwd = await ciCheckout('ci-push-forced', 'rewritten');
    const r = await runEvent(cwd, 'push', { ...push(old, merged, 'refs/heads/rewritten'), forced: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`commit ${old} is not in .* could not be fetched from origin \\(the old tip of a force-push is gone from the remote: the history was rewritten`));
  });

  it('a new branch (before is the zero id) is checked from where it leaves the default branch', async () => {
    const cwd = await ciCheckout('ci-push-new');
    const same = await runEvent(cwd, 'push', push(ZERO, merged, 'refs/heads/release'));
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/already on the default branch: nothing new landed/);
    await git(['push', '-q', 'origin', `${change.unapproved.head}:refs/heads/topic`], d.clone);
    const bad = await runEvent(cwd, 'push', push(ZERO, change.unapproved.head, 'refs/heads/topic'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`the new branch leaves refs/remotes/origin/main at ${mainTip.slice(0, 12)}`);
  });

  it('a deleted tag (GitHub\'s example delivery as published) checks nothing and passes', async () => {
    const cwd = await ciCheckout('ci-push-delete');
    const r = await runEvent(cwd, 'push', example('push', (e) => e.deleted === true));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: refs\/tags\/simple-tag was deleted: nothing landed/);
  });

  it('a pushed tag: the commit it names (an annotated tag peeled), under the default branch\'s policy', async () => {
    await git(['tag', '-a', '-m', 'release 1', 'v1', merged], d.clone);
    await git(['tag', 'v2-unreviewed', direct], d.clone);
    await git(['push', '-q', 'origin', 'v1', 'v2-unreviewed'], d.clone);
    const cwd = await ciCheckout('ci-push-tag');
    const tagObject = await git(['rev-parse', 'v1'], d.clone);
    expect(tagObject).not.toBe(merged);
    const ok = await runEvent(cwd, 'push', push(ZERO, tagObject, 'refs/tags/v1'));
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/OK: the commit meets the policy/);
    const bad = await runEvent(cwd, 'push', push(ZERO, direct, 'refs/tags/v2-unreviewed'));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`${direct.slice(0, 12)}: NOT covered`);
  });

  it('also with explicit flags (Forgejo or any CI: --event push --before --after)', async () => {
    const cwd = await ciCheckout('ci-push-flags');
    const r = await runCli(['ci', '--event', 'push', '--before', merged, '--after', direct], { cwd, env: NO_CI });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED: 1 of 1 steps are not covered/);
  });
});

describe('merge_group: the merge queue head, as it will land', () => {
  it('passes a queue entry that merges an approved change and fails one that merges an unapproved one', async () => {
    const base = await git(['rev-parse', 'origin/main'], d.clone);
    const queue = async (head: string, name: string) => {
      await git(['checkout', '-q', '-b', name, base], d.clone);
      await git(['merge', '-q', '--no-ff', '-m', `Merge ${name}`, head], d.clone);
      const id = await git(['rev-parse', 'HEAD'], d.clone);
      await git(['checkout', '-q', 'main'], d.clone);
      await git(['push', '-q', 'origin', `${id}:refs/heads/gh-readonly-queue/main/${name}`], d.clone);
      const p = example('merge_group');
      Object.assign(p.merge_group, { base_sha: base, head_sha: id });
      return p;
    };
    const cwd = await ciCheckout('ci-queue');
    const ok = await runEvent(cwd, 'merge_group', await queue(change.queued.head, 'pr-2'));
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    const bad = await runEvent(cwd, 'merge_group', await queue(change.unapproved.head, 'pr-4'));
    expect(bad.code).toBe(1);
  });
});

describe('bad input', () => {
  it('an event the gate does not run on, or none at all: exit 2 with what to do', async () => {
    const cwd = await ciCheckout('ci-bad');
    const r = await runEvent(cwd, 'workflow_dispatch', {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the event "workflow_dispatch" is not one the gate runs on: use pull_request, push or merge_group/);
    const none = await runCli(['ci'], { cwd, env: NO_CI });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no CI event/);
  });
});
