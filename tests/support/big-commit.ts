/**
 * A review page's worst case, made with `git fast-import` (seconds, whatever the size): one commit
 * on top of `parent` that adds thousands of small files, a 50,000-line file, a file of very long
 * lines and a binary file (other shapes for the benchmark). Used by the diff API tests, the phone
 * end-to-end test and bench/page-bytes.ts.
 */
import { spawn } from 'node:child_process';

export interface BigCommitShape {
  /** Small files added (`smallLines` lines each, default 3), under many/…. */
  smallFiles: number;
  smallLines?: number;
  /** Lines of the one huge file (huge/big.txt). */
  hugeLines: number;
  /** Lines of long/lines.txt, each `longLineChars` characters long. */
  longLines: number;
  longLineChars: number;
  /** Bytes of bin/blob.bin (with NUL bytes, so git calls it binary). */
  binaryBytes: number;
}

export const BIG_COMMIT: BigCommitShape = { smallFiles: 3000, hugeLines: 50_000, longLines: 5, longLineChars: 200_000, binaryBytes: 64 * 1024 };

export const BIG_PATHS = { huge: 'huge/big.txt', long: 'long/lines.txt', binary: 'bin/blob.bin' } as const;

/** The n-th small file's path (zero-padded so the file list's order is the number's). */
export function smallPath(n: number): string {
  return `many/f${String(n).padStart(5, '0')}.txt`;
}

function blob(path: string, content: Buffer): Buffer[] {
  return [Buffer.from(`M 100644 inline ${path}\ndata ${content.length}\n`), content, Buffer.from('\n')];
}

/**
 * Writes the commit onto `refs/heads/<branch>` of the repository at `gitDir` (a bare remote),
 * its parent `parent` (a full id), and returns its id.
 */
export async function makeBigCommit(gitDir: string, branch: string, parent: string, shape: BigCommitShape = BIG_COMMIT): Promise<string> {
  const parts: Buffer[] = [];
  const msg = Buffer.from(`Import a very large tree\n\n${JSON.stringify(shape)}\n`);
  parts.push(
    Buffer.from(
      `commit refs/heads/${branch}\nauthor Big Importer <big@example.org> 1700000000 +0000\ncommitter Big Importer <big@example.org> 1700000000 +0000\ndata ${msg.length}\n`,
    ),
    msg,
    Buffer.from(`from ${parent}\n`),
  );
  const small = (i: number) =>
    shape.smallLines === undefined ? `file ${i}\nsecond line\nthird line\n` : Array.from({ length: shape.smallLines }, (_, k) => `file ${i} line ${k + 1}: some typical source text, about sixty characters\n`).join('');
  for (let i = 0; i < shape.smallFiles; i++) parts.push(...blob(smallPath(i), Buffer.from(small(i))));
  if (shape.hugeLines > 0) {
    const huge: string[] = [];
    for (let i = 1; i <= shape.hugeLines; i++) huge.push(`line ${i} of the huge file`);
    parts.push(...blob(BIG_PATHS.huge, Buffer.from(huge.join('\n') + '\n')));
  }
  if (shape.longLines > 0) {
    const long: string[] = [];
    for (let i = 0; i < shape.longLines; i++) long.push(`${i}:` + 'x'.repeat(shape.longLineChars - String(i).length - 1));
    parts.push(...blob(BIG_PATHS.long, Buffer.from(long.join('\n') + '\n')));
  }
  if (shape.binaryBytes > 0) {
    const bin = Buffer.alloc(shape.binaryBytes);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 7) % 256;
    parts.push(...blob(BIG_PATHS.binary, bin));
  }
  parts.push(Buffer.from('\n'));
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'fast-import', '--quiet'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import failed (${code}): ${err}`))));
    child.stdin.end(Buffer.concat(parts));
  });
  return new Promise<string>((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'rev-parse', `refs/heads/${branch}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`git rev-parse ${branch} failed`))));
  });
}
