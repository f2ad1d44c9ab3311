/**
 * `verify --range` over landed changes, against the floor of one `git merge-tree --write-tree`
 * per step measured in the same run.
 *
 *   npx tsx bench/verify-range.ts [baseCommits=100000] [changes=1000]
 *
 * One `git fast-import` stream makes a linear history of `baseCommits` commits (with a
 * .countersign/ policy, threshold 2) and then `changes` changes, each a topic branch of 1-3
 * commits from main as it stood one or two landings earlier, landed in turn by merge button,
 * squash or rebase (a third each). Every change head is approved by two reviewers with v2
 * statements signed by `ssh-keygen -Y sign` (ssh-ed25519 keys made by ssh-keygen) and written as
 * note lines through the notes library. The commit-graph is written, as `git gc` does.
 * Then the gate walks OLD..NEW (every first-parent step must be covered, and is checked to be)
 * and the floor runs one merge-tree per step.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gitProcessStats, runGit } from '../lib/git/run';
import { readObjects } from '../lib/git/objects';
import { verifyRange } from '../lib/landing/range';
import { formatNoteLine } from '../lib/notes/line';
import { appendNoteLines, DEFAULT_NOTES_REF } from '../lib/notes/store';
import { statementBytes } from '../lib/statement/statement';
import { dearmorSshSig } from '../lib/sshsig';
import { cleanupTempDirs, git, initRepo, tempDir } from '../tests/support/git-fixtures';
import { makeKey, run, SSH_KEYGEN } from '../tests/support/ssh-keygen';

const BASE = Number(process.argv[2] ?? 100_000);
const CHANGES = Number(process.argv[3] ?? 1000);
const FILES = 200;
const REPOSITORY = 'bench/landing';
const NAMESPACE = 'countersign-review@countersign.dev';
const REVIEWERS = ['bob@example.org', 'carol@example.org'];

type Kind = 'merge' | 'squash' | 'rebase';

function fastImport(dir: string, stream: string[], marksFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet', `--export-marks=${marksFile}`], { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import failed: ${err}`))));
    for (const chunk of stream) child.stdin.write(chunk);
    child.stdin.end();
  });
}

const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;

async function main() {
  const t0 = performance.now();
  const root = await tempDir('countersign-bench-range-');
  const repo = await initRepo(join(root, 'repo'));
  const keys = [await makeKey(root, 'ed25519', 'bob'), await makeKey(root, 'ed25519', 'carol')];
  const allowed = keys.map((k, i) => `${REVIEWERS[i]} ${k.publicKeyText}\n`).join('');
  const policy = JSON.stringify({ repository: REPOSITORY, threshold: 2 });

  // --- the history -----------------------------------------------------------------------
  const stream: string[] = [];
  let mark = 0;
  let time = 1_600_000_000;
  const maint = () => `Max Maintainer <max@example.org> ${time++} +0000`;
  const commit = (ref: string, from: number | null, message: string, ops: string, opts: { merge?: number; author?: string } = {}) => {
    const m = ++mark;
    const committer = maint();
    stream.push(
      `commit ${ref}\nmark :${m}\nauthor ${opts.author ?? committer}\ncommitter ${committer}\n${data(message)}` +
        (from ? `from :${from}\n` : '') +
        (opts.merge ? `merge :${opts.merge}\n` : '') +
        ops +
        '\n',
    );
    return m;
  };
  const file = (path: string, content: string) => `M 100644 inline ${path}\n${data(content)}`;
  let tip = commit(
    'refs/heads/main',
    null,
    'Initial',
    file('.countersign/policy.json', policy) + file('.countersign/allowed_signers', allowed) + Array.from({ length: FILES }, (_, i) => file(`f/${i}`, '0\n')).join(''),
  );
  for (let i = 1; i < BASE; i++) tip = commit('refs/heads/main', tip, `base ${i}`, file(`f/${i % FILES}`, `${i}\n`));
  const oldMark = tip;

  const approvals: Array<{ head: number; base: number }> = [];
  const tips = [tip];
  const kinds: Record<Kind, number> = { merge: 0, squash: 0, rebase: 0 };
  let expectedSteps = 0;
  for (let c = 0; c < CHANGES; c++) {
    const kind: Kind = (['merge', 'squash', 'rebase'] as const)[c % 3];
    kinds[kind]++;
    const n = 1 + ((c * 7) % 3);
    const base = tips[Math.max(0, tips.length - 1 - (c % 2))]; // main as it stood one or two landings ago
    const topicCommits: Array<{ author: string; message: string; ops: string }> = [];
    let head = base;
    for (let j = 0; j < n; j++) {
      const author = `Dev ${c % 7} <dev${c % 7}@example.org> ${1_700_000_000 + c * 10 + j} +0000`;
      const message = `change ${c}: part ${j + 1}\n`;
      const ops = file(`t/${c}/${j}.txt`, `change ${c} part ${j}\n`);
      topicCommits.push({ author, message, ops });
      head = commit(`refs/heads/topic`, head, message, ops, { author });
    }
    approvals.push({ head, base });
    if (kind === 'merge') {
      tip = commit('refs/heads/main', tip, `Merge change ${c}`, topicCommits.map((t) => t.ops).join(''), { merge: head });
      expectedSteps += 1;
    } else if (kind === 'squash') {
      tip = commit('refs/heads/main', tip, `Change ${c} (#${c})`, topicCommits.map((t) => t.ops).join(''));
      expectedSteps += 1;
    } else {
      for (const t of topicCommits) tip = commit('refs/heads/main', tip, t.message, t.ops, { author: t.author });
      expectedSteps += n;
    }
    tips.push(tip);
  }
  const marksFile = join(root, 'marks');
  let t = performance.now();
  await fastImport(repo, stream, marksFile);
  const marks = new Map<number, string>();
  for (const line of (await readFile(marksFile, 'utf8')).split('\n').filter(Boolean)) {
    const [m, id] = line.split(' ');
    marks.set(Number(m.slice(1)), id);
  }
  await git(repo, 'commit-graph', 'write', '--reachable');
  const importMs = performance.now() - t;
  const commitCount = Number(await git(repo, 'rev-list', '--count', '--all'));

  // --- approvals ---------------------------------------------------------------------------
  t = performance.now();
  const heads = approvals.map((a) => ({ head: marks.get(a.head)!, base: marks.get(a.base)! }));
  const trees = await readObjects(repo, heads.map((h) => `${h.head}^{tree}`));
  const when = '2026-01-01T00:00:00Z';
  // One `ssh-keygen -Y sign` per reviewer, over every statement file (it signs each FILE into FILE.sig).
  const statements = heads.map((h, i) =>
    REVIEWERS.map((signer) => statementBytes({ repository: REPOSITORY, commit: h.head, tree: trees[i].found ? trees[i].oid : '', base: h.base, verdict: 'approve', signer, time: when })),
  );
  const entries: Array<{ commit: string; line: string }> = [];
  for (let r = 0; r < REVIEWERS.length; r++) {
    const files = heads.map((_, i) => join(root, `st-${r}-${i}`));
    await Promise.all(files.map((f, i) => writeFile(f, statements[i][r])));
    const signed = await run(SSH_KEYGEN, ['-q', '-Y', 'sign', '-f', keys[r].privatePath, '-n', NAMESPACE, ...files]);
    if (signed.code !== 0) throw new Error(`ssh-keygen -Y sign failed: ${signed.stderr}`);
    for (let i = 0; i < heads.length; i++) {
      const signature = dearmorSshSig(await readFile(`${files[i]}.sig`, 'utf8'));
      entries.push({ commit: heads[i].head, line: formatNoteLine({ verdict: 'approve', signer: REVIEWERS[r], time: when, base: heads[i].base, signature }) });
    }
  }
  await appendNoteLines(repo, DEFAULT_NOTES_REF, entries);
  const signMs = performance.now() - t;

  // --- the gate ------------------------------------------------------------------------------
  const from = marks.get(oldMark)!;
  const to = marks.get(tip)!;
  const before = { ...gitProcessStats.byCommand };
  t = performance.now();
  const report = await verifyRange(repo, from, to, { notesRef: DEFAULT_NOTES_REF, now: new Date() });
  const gateMs = performance.now() - t;
  const processes = Object.entries(gitProcessStats.byCommand)
    .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
    .filter(([, v]) => v > 0);
  if (!report.ok || report.steps.length !== expectedSteps) {
    const bad = report.steps.filter((s) => !s.covered).slice(0, 3);
    throw new Error(`the gate did not pass every step: ${report.problem ?? ''} ${report.steps.length}/${expectedSteps} steps; ${JSON.stringify(bad, null, 1)}`);
  }
  const byKind: Record<string, number> = {};
  for (const s of report.steps) byKind[s.coverage!.how!] = (byKind[s.coverage!.how!] ?? 0) + 1;

  // --- the floor: one merge-tree per step ------------------------------------------------------
  const chain = [from, ...report.steps.map((s) => s.commit)];
  t = performance.now();
  for (let i = 1; i < chain.length; i++) await runGit(['merge-tree', '--write-tree', chain[i - 1], chain[i]], { cwd: repo });
  const floorMs = performance.now() - t;

  const steps = report.steps.length;
  const perStep = gateMs / steps;
  const floorPerStep = floorMs / steps;
  console.log(`repository: ${commitCount.toLocaleString('en')} commits (fast-import + commit-graph: ${(importMs / 1000).toFixed(1)} s)`);
  console.log(`changes: ${CHANGES} (merge ${kinds.merge}, squash ${kinds.squash}, rebase ${kinds.rebase}), ${entries.length} ssh-ed25519 approvals (signing + notes: ${(signMs / 1000).toFixed(1)} s)`);
  console.log(`verify --range: ${steps} first-parent steps, all covered (${Object.entries(byKind).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  console.log(`git processes during the walk: ${processes.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log('');
  console.log(`| | total | per step |`);
  console.log(`|---|---|---|`);
  console.log(`| verify --range (in-process walk) | ${(gateMs / 1000).toFixed(2)} s | ${perStep.toFixed(2)} ms |`);
  console.log(`| floor: one git merge-tree --write-tree per step | ${(floorMs / 1000).toFixed(2)} s | ${floorPerStep.toFixed(2)} ms |`);
  console.log('');
  console.log(`ratio: ${(perStep / floorPerStep).toFixed(2)}x the floor (target <= 3x); whole run ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  await writeFile(join(root, 'done'), '');
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => cleanupTempDirs());
