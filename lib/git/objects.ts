import { CountersignError } from '../errors';
import { readObjectsBatched, type BatchObject } from './cat-file';
import { runGit } from './run';

export type { BatchObject, ObjectType } from './cat-file';

/**
 * Reads many objects with `git cat-file --batch` (the repository's long-running one, see
 * cat-file.ts). Names are anything git's `<rev>` syntax accepts (`<oid>`, `<ref>:<path>`,
 * `<ref>^{commit}`), resolved when asked; one result per name, in order.
 */
export async function readObjects(repoDir: string, names: string[]): Promise<BatchObject[]> {
  if (names.length === 0) return [];
  for (const n of names) {
    if (/[\n\r\0]/.test(n) || n.length === 0) {
      throw new CountersignError('bad-input', `object name ${JSON.stringify(n)} is empty or contains a line break`);
    }
  }
  return readObjectsBatched(repoDir, names);
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
