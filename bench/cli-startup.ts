/**
 * Start-up and one-commit verify of the CLI, side by side with what it replaces (issue 9):
 *
 *   - `--help`: the one-file CLI (dist-style bundle), the tsx entry point, and bare `node -e 0`;
 *   - `verify COMMIT` of one commit carrying one signature (threshold 1), against the floor:
 *     `git notes show COMMIT` plus one `ssh-keygen -Y verify` of that signature (its statement,
 *     .sig and allowed_signers written by `countersign export`), run one after the other.
 *
 * The repository is generated: a demo repository whose main gets HISTORY filler commits through
 * `git fast-import`, then one commit by an author, signed by Bob (`countersign sign`, an
 * ssh-ed25519 key), in a fresh clone as CI would have it. Each figure is the median (and p90)
 * of RUNS sequential runs.
 *
 *   npx tsx bench/cli-startup.ts [HISTORY=20000] [RUNS=21]
 *   BEFORE_DIR=/tmp/countersign-before npx tsx bench/cli-startup.ts   # adds that checkout's tsx CLI
 *
 * (BEFORE_DIR: a checkout of an earlier Countersign with node_modules, e.g. `git worktree add`
 * plus a symlink to this node_modules, to compare its bin/countersign.mjs start-up.)
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildCli } from '../scripts/build-cli.mjs';
import { CLI_BIN } from '../tests/support/cli';
import { AUTHOR, createDemoRepo, git } from '../tests/support/demo-repo';
import { makeKey, makeTempDir } from '../tests/support/ssh-keygen';

const HISTORY = Number(process.argv[2] ?? 20000);
const RUNS = Number(process.argv[3] ?? 21);

function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.end(opts.input);
  });
}

async function must(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}, expectCode = 0) {
  const r = await run(cmd, args, opts);
  if (r.code !== expectCode) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.code}, expected ${expectCode}: ${r.stderr}`);
  return r;
}

/**
 * CPU time (user + system) of this process's waited-for children and their descendants, in ms:
 * Linux's cutime + cstime. Wall time on a shared machine swings with its load; CPU time much less.
 */
async function childCpuMs(): Promise<number | null> {
  try {
    const stat = await readFile('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): cutime and cstime are fields 16 and 17.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100;

interface Figure {
  p50: number;
  p90: number;
  /** Mean CPU ms per run (the process and everything it started), or null off Linux. */
  cpu: number | null;
}

/** Median and p90 wall time in milliseconds of `runs` sequential runs of `job` (after one warm-up), and mean CPU time. */
async function measure(job: () => Promise<unknown>, runs = RUNS): Promise<Figure> {
  await job();
  const ms: number[] = [];
  const cpu0 = await childCpuMs();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await job();
    ms.push(performance.now() - t0);
  }
  const cpu1 = await childCpuMs();
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length / 2)], p90: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.9))], cpu: cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / runs };
}

/** HISTORY commits on main through one `git fast-import`. */
async function fillHistory(repo: string, n: number): Promise<void> {
  const tip = await git(['rev-parse', 'main'], repo);
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) {
    const msg = `filler ${i}\n`;
    const body = `${i}\n`;
    parts.push(
      `commit refs/heads/main\ncommitter Max Maintainer <max@example.org> ${1_700_000_000 + i} +0000\ndata ${msg.length}\n${msg}` +
        (i === 1 ? `from ${tip}\n` : '') +
        `M 644 inline filler/${i % 500}.txt\ndata ${body.length}\n${body}\n`,
    );
  }
  await must('git', ['fast-import', '--quiet'], { cwd: repo, input: Buffer.from(parts.join('')) });
  await must('git', ['reset', '-q', '--hard', 'main'], { cwd: repo });
}

const tmp = await makeTempDir('countersign-bench-cli-');
try {
  const bundle = (await buildCli({ outfile: join(tmp.dir, 'countersign.mjs') })).outfile;
  const bob = await makeKey(tmp.dir, 'ed25519', 'bob');
  const d = await createDemoRepo({ signers: [{ principal: 'bob@example.org', publicKey: bob.publicKeyText }], policy: { threshold: 1 }, commits: 1 });
  try {
    await fillHistory(d.clone, HISTORY);
    const commit = (await d.commit({ 'src/feature.txt': 'feature\n' }, 'Add the feature', AUTHOR)).id;
    await git(['push', '-q', 'origin', 'main'], d.clone);
    await must(process.execPath, [bundle, 'sign', '--repo', d.clone, '--key', bob.privatePath, '--identity', 'bob@example.org', commit]);
    const ci = await d.cloneAgain('ci');
    await must(process.execPath, [bundle, 'verify', '--repo', ci, commit]); // fetches the notes once
    const sigs = join(tmp.dir, 'sigs');
    await must(process.execPath, [bundle, 'export', '--repo', ci, commit, '--out', sigs]);
    const files = await readdir(sigs);
    const sig = join(sigs, files.find((f) => f.endsWith('.sig'))!);
    const statement = await readFile(sig.replace(/\.sig$/, '.statement'));
    const allowed = join(sigs, 'allowed_signers');
    const count = await git(['rev-list', '--count', 'HEAD'], ci);
    console.log(`repository: ${count} commits on main; one signature (ssh-ed25519) on ${commit.slice(0, 12)}; ${RUNS} runs each, median (p90)`);
    console.log(`machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)} at the start (a shared machine: compare the ratios)`);

    const floorJob = async () => {
      await must('git', ['notes', '--ref', 'refs/notes/countersign', 'show', commit], { cwd: ci });
      await must('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', 'bob@example.org', '-n', 'countersign-review@countersign.dev', '-s', sig], { input: statement });
    };
    const rows: Array<[string, Figure]> = [];
    rows.push(['node -e 0 (the floor of any Node CLI)', await measure(() => must(process.execPath, ['-e', '0']))]);
    rows.push(['one-file CLI: --help', await measure(() => must(process.execPath, [bundle, '--help']))]);
    rows.push(['tsx CLI (bin/countersign.mjs): --help', await measure(() => must(process.execPath, [CLI_BIN, '--help']), Math.min(RUNS, 7))]);
    rows.push(['floor: git notes show + ssh-keygen -Y verify', await measure(floorJob)]);
    rows.push(['one-file CLI: verify --no-fetch COMMIT', await measure(() => must(process.execPath, [bundle, 'verify', '--no-fetch', '--repo', ci, commit]))]);
    rows.push(['one-file CLI: verify COMMIT (fetches the notes)', await measure(() => must(process.execPath, [bundle, 'verify', '--repo', ci, commit]))]);
    rows.push(['tsx CLI: verify --no-fetch COMMIT', await measure(() => must(process.execPath, [CLI_BIN, 'verify', '--no-fetch', '--repo', ci, commit]), Math.min(RUNS, 7))]);
    const before = process.env.BEFORE_DIR ? join(process.env.BEFORE_DIR, 'bin', 'countersign.mjs') : null;
    if (before) {
      rows.push(['BEFORE_DIR tsx CLI: --help', await measure(() => must(process.execPath, [before, '--help']), Math.min(RUNS, 7))]);
      rows.push(['BEFORE_DIR tsx CLI: verify --no-fetch COMMIT', await measure(() => must(process.execPath, [before, 'verify', '--no-fetch', '--repo', ci, commit]), Math.min(RUNS, 7))]);
    }

    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(`${''.padEnd(width)}  wall p50 (p90)          CPU per run`);
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v.p50.toFixed(1).padStart(7)} ms (${v.p90.toFixed(1).padStart(7)})  ${v.cpu === null ? '-' : `${v.cpu.toFixed(1).padStart(7)} ms`}`);
    const get = (k: string) => rows.find(([name]) => name.startsWith(k))![1];
    const floor = get('floor');
    const ratio = (f: Figure, g: Figure) => `${(f.p50 / g.p50).toFixed(2)}x wall${f.cpu !== null && g.cpu ? `, ${(f.cpu / g.cpu).toFixed(2)}x CPU` : ''}`;
    console.log(`\n--help, one-file CLI: ${get('one-file CLI: --help').p50.toFixed(1)} ms wall (target <= 100 ms; node -e 0 itself: ${get('node -e 0').p50.toFixed(1)} ms)`);
    console.log(`verify --no-fetch against the floor: ${ratio(get('one-file CLI: verify --no-fetch'), floor)} (target <= 3x)`);
    console.log(`verify with the notes fetch against the floor: ${ratio(get('one-file CLI: verify COMMIT'), floor)}`);
    console.log(`load average ${loadavg()[0].toFixed(2)} at the end`);
    if (process.env.NODE_EXTRA_CA_CERTS) console.log(`note: NODE_EXTRA_CA_CERTS is set: every node start above also loads that CA bundle`);
  } finally {
    await d.cleanup();
  }
} finally {
  await tmp.cleanup();
}
