import { CountersignError } from '../errors';
import { runGit } from './run';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export type BatchObject =
  | { name: string; found: true; oid: string; type: ObjectType; content: Buffer }
  | { name: string; found: false; reason: 'missing' | 'ambiguous' };

/**
 * Reads many objects in one `git cat-file --batch` process. Names are anything git's
 * `<rev>` syntax accepts (`<oid>`, `<ref>:<path>`); one result per name, in order.
 */
export async function readObjects(repoDir: string, names: string[]): Promise<BatchObject[]> {
  if (names.length === 0) return [];
  for (const n of names) {
    if (/[\n\r\0]/.test(n) || n.length === 0) {
      throw new CountersignError('bad-input', `object name ${JSON.stringify(n)} is empty or contains a line break`);
    }
  }
  const { stdoutBytes: out } = await runGit(['cat-file', '--batch'], { cwd: repoDir, input: names.join('\n') + '\n' });
  const results: BatchObject[] = [];
  let pos = 0;
  for (const name of names) {
    const nl = out.indexOf(0x0a, pos);
    if (nl < 0) throw new CountersignError('git-failed', `git cat-file --batch ended early in ${repoDir}`);
    const header = out.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
      results.push({ name, found: false, reason: header.endsWith(' missing') ? 'missing' : 'ambiguous' });
      continue;
    }
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) (commit|tree|blob|tag) (\d+)$/.exec(header);
    if (!m) throw new CountersignError('git-failed', `unexpected git cat-file --batch output in ${repoDir}: ${header.slice(0, 120)}`);
    const size = Number(m[3]);
    results.push({ name, found: true, oid: m[1], type: m[2] as ObjectType, content: out.subarray(pos, pos + size) });
    pos += size + 1; // content is followed by a LF
  }
  return results;
}

/** The repository's object format, from an object id's length or from git itself. */
export async function objectFormatOf(repoDir: string): Promise<'sha1' | 'sha256'> {
  const { stdout } = await runGit(['rev-parse', '--show-object-format'], { cwd: repoDir });
  const f = stdout.trim();
  if (f !== 'sha1' && f !== 'sha256') throw new CountersignError('git-failed', `unknown object format "${f}" in ${repoDir}`);
  return f;
}

export function emptyTreeId(format: 'sha1' | 'sha256'): string {
  return format === 'sha1'
    ? '4b825dc642cb6eb9a060e54bf8d69288fbee4904'
    : '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321';
}

/** Refuses names git would read as an option. */
export function checkNotOption(value: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.startsWith('-') || /[\0\n\r]/.test(value)) {
    throw new CountersignError('bad-input', `${what} ${JSON.stringify(value)} is not valid (empty, starts with "-" or contains a line break)`);
  }
  return value;
}
