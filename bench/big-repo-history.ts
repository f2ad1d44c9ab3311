import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * A generated history for tests and benchmarks of large repositories, written with one
 * `git fast-import` into a bare repository: `commits` commits on `main`, the first adding a
 * `.countersign/` policy (threshold 1, the given allowed_signers text); every `mergeEvery`-th
 * commit is a merge of a one-commit side branch (so the history is not a single line); each
 * commit rewrites one of `files` source files (`lines` lines each), spread over 100 folders.
 * Dates increase by a minute per commit. Returns the ids of main's first-parent chain, oldest first.
 */
export interface HistoryOptions {
  commits: number;
  files?: number;
  lines?: number;
  mergeEvery?: number;
  repository?: string;
  allowedSigners?: string;
}

export async function generateHistory(dir: string, opts: HistoryOptions): Promise<{ mainline: string[] }> {
  const files = opts.files ?? 2000;
  const lines = opts.lines ?? 20;
  const mergeEvery = opts.mergeEvery ?? 10;
  await mkdir(path.dirname(dir), { recursive: true });
  await git(['init', '--quiet', '--bare', '--initial-branch=main', dir], path.dirname(dir));
  // Partial clones of it (the server's default) need the remote to accept filters, as forges do.
  await git(['config', 'uploadpack.allowFilter', 'true'], dir);
  await git(['config', 'uploadpack.allowAnySHA1InWant', 'true'], dir);

  const child = spawn('git', ['fast-import', '--quiet', '--done', '--export-marks=marks'], { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<void>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import failed: ${stderr.slice(0, 500)}`)))),
  );
  let buffered: string[] = [];
  let size = 0;
  const write = async (s: string) => {
    buffered.push(s);
    size += s.length;
    if (size > 1 << 20) await flush();
  };
  const flush = async () => {
    const chunk = buffered.join('');
    buffered = [];
    size = 0;
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
  };
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const t0 = 1_600_000_000;
  const who = (i: number) => `Dev ${i % 50} <dev${i % 50}@example.org> ${t0 + i * 60} +0000`;
  const body = (i: number, f: number) => Array.from({ length: lines }, (_, l) => `// ${f}:${l} ${l === i % lines ? `changed in ${i}` : 'unchanged line of text'}`).join('\n') + '\n';
  const fileName = (f: number) => `src/d${f % 100}/file${f}.ts`;

  const policy = JSON.stringify({ repository: opts.repository ?? 'example.org/big', threshold: 1, excludeAuthor: false }, null, 2) + '\n';
  let mark = 0;
  const mainMarks: number[] = [];
  for (let i = 1; i <= opts.commits; i++) {
    const f = (i * 7919) % files;
    let merge = 0;
    if (i > 1 && i % mergeEvery === 0) {
      // A side branch of one commit from the previous main commit, merged by this one.
      merge = ++mark;
      await write(
        `commit refs/heads/side\nmark :${merge}\nauthor ${who(i)}\ncommitter ${who(i)}\n` +
          data(`Side work ${i}\n`) +
          `from :${mainMarks[mainMarks.length - 1]}\nM 100644 inline src/side/topic${i % 500}.ts\n` +
          data(body(i, -i)),
      );
    }
    const m = ++mark;
    let cmd = `commit refs/heads/main\nmark :${m}\nauthor ${who(i)}\ncommitter ${who(i)}\n` + data(merge ? `Merge side work ${i}\n` : `Change ${i}: file ${f}\n`);
    if (mainMarks.length) cmd += `from :${mainMarks[mainMarks.length - 1]}\n`;
    if (merge) cmd += `merge :${merge}\n`;
    if (i === 1) {
      cmd += `M 100644 inline .countersign/policy.json\n${data(policy)}M 100644 inline .countersign/allowed_signers\n${data(opts.allowedSigners ?? '')}`;
      cmd += `M 100644 inline README.md\n${data('# A large generated history\n')}`;
    }
    cmd += `M 100644 inline ${fileName(f)}\n` + data(body(i, f));
    await write(cmd);
    mainMarks.push(m);
  }
  await write('done\n');
  await flush();
  child.stdin.end();
  await done;
  const marks = new Map<number, string>();
  const { readFile, rm } = await import('node:fs/promises');
  for (const l of (await readFile(path.join(dir, 'marks'), 'utf8')).split('\n')) {
    const [k, v] = l.split(' ');
    if (k && v) marks.set(Number(k.slice(1)), v);
  }
  await rm(path.join(dir, 'marks'), { force: true });
  if (mergeEvery <= opts.commits) await git(['update-ref', '-d', 'refs/heads/side'], dir); // merged: only main remains
  return { mainline: mainMarks.map((m) => marks.get(m)!) };
}

function git(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`git ${args.join(' ')}: ${err}`))));
  });
}
