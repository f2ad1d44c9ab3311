/**
 * Changes that land (issue 6): approvals of a change carry over to the commit the merge button,
 * a squash or a rebase puts on the branch, and only then. Real histories made with git itself;
 * reviewers sign with `countersign sign` (ssh-keygen keys); the gate is `countersign verify`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../support/cli';
import { createDemoRepo, type DemoRepo, type Person } from '../support/demo-repo';
import { makeKey, makeTempDir, type KeygenKey } from '../support/ssh-keygen';

let tmp: { dir: string; cleanup: () => Promise<void> };
let keys: Record<'bob' | 'carol' | 'mallory', KeygenKey>;
const repos: DemoRepo[] = [];
const CAROL: Person = { name: 'Carol', email: 'carol@example.org' };

beforeAll(async () => {
  tmp = await makeTempDir('countersign-landing-');
  keys = { bob: await makeKey(tmp.dir, 'ed25519', 'bob'), carol: await makeKey(tmp.dir, 'ed25519', 'carol'), mallory: await makeKey(tmp.dir, 'ed25519', 'mallory') };
});
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.cleanup()));
});
afterAll(async () => tmp?.cleanup());

async function repo(): Promise<DemoRepo> {
  const d = await createDemoRepo({
    signers: [
      { principal: 'bob@example.org', publicKey: keys.bob.publicKeyText },
      { principal: 'carol@example.org', publicKey: keys.carol.publicKeyText },
    ],
    policy: { threshold: 2 },
  });
  repos.push(d);
  return d;
}

const who = { bob: 'bob@example.org', carol: 'carol@example.org', mallory: 'mallory@example.org' };

/** `countersign sign` as a reviewer does (local notes only). */
async function approve(d: DemoRepo, reviewer: keyof typeof who, commit: string, base?: string) {
  const r = await runCliInProcess(['sign', '--repo', d.clone, '--key', keys[reviewer].privatePath, '--identity', who[reviewer], '--no-push', ...(base ? ['--base', base] : []), commit]);
  expect(r.code, r.stderr).toBe(0);
  return r;
}
const approveBoth = async (d: DemoRepo, head: string, base?: string) => {
  await approve(d, 'bob', head, base);
  await approve(d, 'carol', head, base);
};
const verify = (d: DemoRepo, ...args: string[]) => runCliInProcess(['verify', '--repo', d.clone, '--no-fetch', ...args]);
const rev = (d: DemoRepo, r: string) => d.git(['rev-parse', r]);

/** A topic branch of three commits from main; returns its head. */
async function topic(d: DemoRepo, name = 'topic', files = ['a', 'b', 'c'], author?: Person): Promise<string> {
  await d.git(['checkout', '-q', '-b', name, 'main']);
  for (const f of files) await d.commit({ [`src/${name}-${f}.txt`]: `${f}\n` }, `${name}: add ${f}`, author);
  await d.git(['checkout', '-q', 'main']);
  return rev(d, name);
}
/** main moves on meanwhile (someone else's approved commit). */
async function mainMoves(d: DemoRepo, file = 'src/other.txt'): Promise<string> {
  const c = await d.commit({ [file]: 'other\n' }, `Other work on ${file}`);
  await approveBoth(d, c.id);
  return c.id;
}

describe('sign --base: a change, with its base', () => {
  it('writes a countersign-v2 line naming merge-base(REV, COMMIT), and the head verifies with it', async () => {
    const d = await repo();
    const head = await topic(d);
    const base = await rev(d, 'main');
    const r = await approve(d, 'bob', head, 'main');
    expect(r.stdout).toContain(`as a change of 3 commit(s) since ${base.slice(0, 12)}`);
    const note = await d.git(['notes', '--ref=refs/notes/countersign', 'show', head]);
    expect(note.split(' ').slice(0, 1)).toEqual(['countersign-v2']);
    expect(note.split(' ')[4]).toBe(base);
    await approve(d, 'carol', head, 'main');
    const v = await verify(d, '--json', head);
    expect(JSON.parse(v.stdout).commits[0]).toMatchObject({ covered: true, coverage: { how: 'direct' } });
  });

  it('refuses a base that contains the commit (nothing to review), writing nothing', async () => {
    const d = await repo();
    const r = await runCliInProcess(['sign', '--repo', d.clone, '--key', keys.bob.privatePath, '--identity', who.bob, '--no-push', '--base', 'main', 'main~1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already in main: the change is empty/);
  });
});

describe('carried over', () => {
  it('merge --no-ff of an approved change: verify COMMIT says it is carried over from the head', async () => {
    const d = await repo();
    const head = await topic(d);
    await approveBoth(d, head, 'main');
    await mainMoves(d);
    const old = await rev(d, 'main');
    await d.git(['merge', '-q', '--no-ff', '-m', 'Merge topic', 'topic']);
    const merge = await rev(d, 'main');
    const r = await runCli(['verify', '--repo', d.clone, '--no-fetch', merge]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`covered: carried over from ${head.slice(0, 12)} (merge; 2/2: bob@example.org, carol@example.org)`);
    const json = JSON.parse((await verify(d, '--json', merge)).stdout);
    expect(json.commits[0]).toMatchObject({ met: false, covered: true, coverage: { how: 'merge', head, parent: old } });
    const range = await verify(d, '--range', `${old}..main`);
    expect(range.code, range.stdout).toBe(0);
  });

  it('merge --squash: the single commit on main is carried over from the approved head', async () => {
    const d = await repo();
    const head = await topic(d);
    await approveBoth(d, head, 'main');
    await mainMoves(d);
    await d.git(['merge', '-q', '--squash', 'topic']);
    await d.git(['commit', '-q', '-m', 'Topic (squashed)']);
    const r = await verify(d, '--json', 'main');
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout).commits[0].coverage).toMatchObject({ how: 'squash', head });
  });

  it('rebase onto a moved main, then fast-forward: verify --range recognises the rebased run', async () => {
    const d = await repo();
    const head = await topic(d);
    await approveBoth(d, head, 'main');
    const old = await rev(d, 'main');
    const other = await mainMoves(d);
    await d.git(['checkout', '-q', 'topic']);
    await d.git(['rebase', '-q', 'main']);
    await d.git(['checkout', '-q', 'main']);
    await d.git(['merge', '-q', '--ff-only', 'topic']);
    const r = await verify(d, '--json', '--range', `${old}..main`);
    expect(r.code, r.stdout).toBe(0);
    const steps = JSON.parse(r.stdout).steps;
    expect(steps.map((s: { coverage: { how: string } }) => s.coverage.how)).toEqual(['direct', 'rebase', 'rebase', 'rebase']);
    expect(steps[3].coverage).toMatchObject({ head, parent: other, steps: 3 });
    const text = await verify(d, '--range', `${old}..main`);
    expect(text.stdout).toContain(`carried over from ${head.slice(0, 12)} (rebase, commit 2 of 3 on ${other.slice(0, 12)}`);
    expect(text.stdout).toContain(`OK: every step from ${old.slice(0, 12)} to`);
  });

  it('fast-forward of an approved change: every one of its commits is covered by the approval of its head', async () => {
    const d = await repo();
    const old = await rev(d, 'main');
    const head = await topic(d);
    await approveBoth(d, head, 'main');
    await d.git(['merge', '-q', '--ff-only', 'topic']);
    const r = await verify(d, '--json', '--range', `${old}..main`);
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout).steps.map((s: { coverage: { how: string; head: string } }) => [s.coverage.how, s.coverage.head])).toEqual([
      ['fast-forward', head],
      ['fast-forward', head],
      ['fast-forward', head],
    ]);
    const audit = await runCliInProcess(['audit', '--repo', d.clone, '--no-fetch', '--branch', 'main', '--since', old]);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain('covered: 3 (fast-forward 3)');
  });
});

describe('does not carry over', () => {
  it('an evil merge: the merge result was amended after the fact', async () => {
    const d = await repo();
    const head = await topic(d);
    await approveBoth(d, head, 'main');
    await d.git(['merge', '-q', '--no-ff', '-m', 'Merge topic', 'topic']);
    await writeFile(join(d.clone, 'src/backdoor.txt'), 'surprise\n');
    await d.git(['add', 'src/backdoor.txt']);
    await d.git(['commit', '-q', '--amend', '--no-edit']); // folds the extra file into the merge commit, keeping its two parents
    expect((await d.git(['rev-list', '--parents', '-n1', 'main'])).split(' ')).toHaveLength(3);
    const r = await verify(d, 'main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/NOT covered: .*merge of [0-9a-f]{12}: the landed tree is not what merging/);
  });

  it('a change whose reviewers saw only its last commit (v1 approvals of the tip)', async () => {
    const d = await repo();
    const head = await topic(d);
    await approveBoth(d, head); // no --base: the statement covers the tip commit alone
    await d.git(['merge', '-q', '--no-ff', '-m', 'Merge topic', 'topic']);
    const r = await verify(d, 'main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/its base [0-9a-f]{12} is not an ancestor of [0-9a-f]{12}, where the branch stood: the reviewer did not see every change/);
    const fastForward = await repo();
    const old = await rev(fastForward, 'main');
    const tip = await topic(fastForward);
    await approveBoth(fastForward, tip);
    await fastForward.git(['merge', '-q', '--ff-only', 'topic']);
    const range = await verify(fastForward, '--json', '--range', `${old}..main`);
    expect(range.code).toBe(1);
    expect(JSON.parse(range.stdout).steps.map((s: { covered: boolean }) => s.covered)).toEqual([false, false, true]);
  });

  it('a squash whose content was edited while squashing', async () => {
    const d = await repo();
    const head = await topic(d);
    await approveBoth(d, head, 'main');
    await d.git(['merge', '-q', '--squash', 'topic']);
    await writeFile(join(d.clone, 'src/topic-a.txt'), 'a, and a little extra\n');
    await d.git(['add', 'src/topic-a.txt']);
    await d.git(['commit', '-q', '-m', 'Topic (squashed)']);
    const r = await verify(d, 'main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/squash of [0-9a-f]{12}: the landed tree is not what merging [0-9a-f]{12} onto [0-9a-f]{12} gives/);
  });

  it('a squash made from a stale base: it would undo what main did meanwhile', async () => {
    const d = await repo();
    const head = await topic(d);
    await approveBoth(d, head, 'main');
    await mainMoves(d);
    // The head's own tree put on main: "squashed" as the reviewer saw it, dropping main's new commit.
    const stale = await d.git(['commit-tree', `${head}^{tree}`, '-p', 'main', '-m', 'Topic (squashed from an old checkout)']);
    await d.git(['update-ref', 'refs/heads/main', stale]);
    const r = await verify(d, 'main');
    expect(r.code).toBe(1);
    // Its diff against main also deletes main's new file, so no approved change matches it at all.
    expect(r.stdout).toMatch(/NOT covered: signed directly: 0 of 2; it is not the merge, squash or rebase of an approved change/);
  });

  it('a conflict resolved by hand', async () => {
    const d = await repo();
    await d.git(['checkout', '-q', '-b', 'topic', 'main']);
    await d.commit({ 'src/widget-1.txt': 'widget 1, the topic way\n' }, 'topic: change widget 1');
    const head = await rev(d, 'topic');
    await d.git(['checkout', '-q', 'main']);
    await approveBoth(d, head, 'main');
    await mainMoves(d, 'src/widget-1.txt');
    await d.git(['merge', '-q', '--no-ff', '-m', 'Merge topic', 'topic']).catch(() => undefined);
    await d.commit({ 'src/widget-1.txt': 'resolved by hand\n' }, 'Merge topic');
    expect((await d.git(['rev-list', '--parents', '-n1', 'main'])).split(' ')).toHaveLength(3);
    const r = await verify(d, 'main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/git merge-tree [0-9a-f]{12} [0-9a-f]{12} is not clean \(conflicts in src\/widget-1\.txt\)/);
  });

  it('an unreviewed direct push inside a range fails the range and is named', async () => {
    const d = await repo();
    const old = await rev(d, 'main');
    await topic(d);
    await approveBoth(d, await rev(d, 'topic'), 'main');
    await d.git(['merge', '-q', '--no-ff', '-m', 'Merge topic', 'topic']);
    const sneaky = await d.commit({ 'src/sneaky.txt': 'x\n' }, 'Quick fix, no review');
    await mainMoves(d, 'src/later.txt');
    const r = await verify(d, '--range', `${old}..main`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${sneaky.id.slice(0, 12)}  Quick fix, no review\n  NOT covered:`);
    expect(r.stdout).toContain('FAILED: 1 of 3 steps are not covered');
  });

  it('a force-push after approval: NEW does not descend from OLD', async () => {
    const d = await repo();
    const old = await rev(d, 'main');
    await d.git(['reset', '-q', '--hard', 'main~1']);
    const replacement = await d.commit({ 'src/rewritten.txt': 'x\n' }, 'Rewritten');
    await approveBoth(d, replacement.id);
    const r = await verify(d, '--range', `${old}..main`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAILED: ${replacement.id.slice(0, 12)} does not descend from ${old.slice(0, 12)}: the history was rewritten (a force-push)`);
  });

  it('a policy change inside a range, approved only by the key it adds, is judged by the policy before it', async () => {
    const d = await repo();
    const old = await rev(d, 'main');
    const allowed = await d.git(['show', 'main:.countersign/allowed_signers']);
    const takeover = await d.commit(
      {
        '.countersign/allowed_signers': `${allowed}\nmallory@example.org ${keys.mallory.publicKeyText}\n`,
        '.countersign/policy.json': JSON.stringify({ repository: 'demo/widgets', threshold: 1 }),
      },
      'Tidy up the policy',
    );
    await approve(d, 'mallory', takeover.id);
    const after = await d.commit({ 'src/payload.txt': 'x\n' }, 'Payload');
    await approve(d, 'mallory', after.id);
    const r = await verify(d, '--json', '--range', `${old}..main`);
    expect(r.code).toBe(1);
    const steps = JSON.parse(r.stdout).steps;
    expect(steps[0]).toMatchObject({ commit: takeover.id, covered: false, policyCommit: old });
    expect(steps[0].refusals.join(' ')).toMatch(/0 of 2/);
  });

  it('the author of an earlier commit in the change does not count for it', async () => {
    const d = await repo();
    await d.git(['checkout', '-q', '-b', 'topic', 'main']);
    await d.commit({ 'src/x.txt': 'x\n' }, 'topic: by carol', CAROL);
    await d.commit({ 'src/y.txt': 'y\n' }, 'topic: by ada');
    const head = await rev(d, 'topic');
    await d.git(['checkout', '-q', 'main']);
    await approveBoth(d, head, 'main'); // carol approves a change she wrote part of
    await d.git(['merge', '-q', '--no-ff', '-m', 'Merge topic', 'topic']);
    const r = await verify(d, 'main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/has 1 of 2 approvals that count for this landing: commit [0-9a-f]{12}'s author does not count/);
  });

  it('… nor for its head verified on its own (the same change, fast-forwarded)', async () => {
    const d = await repo();
    await d.git(['checkout', '-q', '-b', 'topic', 'main']);
    await d.commit({ 'src/x.txt': 'x\n' }, 'topic: by carol', CAROL);
    const head = (await d.commit({ 'src/y.txt': 'y\n' }, 'topic: by ada')).id;
    await approveBoth(d, head, 'main');
    const r = await verify(d, '--json', head);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).commits[0]).toMatchObject({ met: false, covered: false });
    expect(JSON.parse(r.stdout).commits[0].refusals[0]).toMatch(/^signed directly: 1 of 2 count for the change \(commit [0-9a-f]{12}'s author does not count/);
  });
});

describe('audit and usage', () => {
  it('audit summarises a branch: covered by kind, each uncovered step with why', async () => {
    const d = await repo();
    const since = await rev(d, 'main');
    await topic(d);
    await approveBoth(d, await rev(d, 'topic'), 'main');
    await d.git(['merge', '-q', '--no-ff', '-m', 'Merge topic', 'topic']);
    const unreviewed = await d.commit({ 'src/late.txt': 'x\n' }, 'Late fix');
    const r = await runCli(['audit', '--repo', d.clone, '--no-fetch', '--branch', 'main', '--since', since]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('covered: 1 (merge 1)\nuncovered: 1');
    expect(r.stdout).toContain(`${unreviewed.id.slice(0, 12)}  Late fix\n  NOT covered:`);
    const json = JSON.parse((await runCliInProcess(['audit', '--repo', d.clone, '--no-fetch', '--json', '--branch', 'main', '--since', since])).stdout);
    expect(json).toMatchObject({ branch: 'main', ok: false, from: since });
    expect(json.steps.map((s: { covered: boolean }) => s.covered)).toEqual([true, false]);
  });

  it('refuses a malformed range, and COMMIT together with --range (exit 2, one line)', async () => {
    const d = await repo();
    const bad = await verify(d, '--range', 'main');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^countersign: verify: --range must be OLD\.\.NEW/);
    const both = await verify(d, '--range', 'main~1..main', 'main');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give either COMMIT\.\.\. or --range OLD\.\.NEW, not both/);
  });
});
