import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CountersignError } from '../errors';
import { runGit } from '../git/run';
import { fetchNotes } from '../notes/store';
import { oneLine } from './exit';
import type { CliIO } from './io';

/** `--repo DIR` (default: the current directory), checked up front so the message names the option, not a git plumbing command. */
export async function repoDir(cwd: string, given: string | undefined): Promise<string> {
  const dir = resolve(cwd, given ?? '.');
  const what = given === undefined ? `the current directory (${dir})` : `--repo ${dir}`;
  try {
    if (!(await stat(dir)).isDirectory()) throw new CountersignError('bad-input', `${what} is not a directory`);
  } catch (e) {
    if (e instanceof CountersignError) throw e;
    throw new CountersignError('bad-input', `${what} does not exist`);
  }
  // The common case (a checkout's top directory) needs no git process: every run of a bot pays for it.
  if (await isCheckoutTop(dir)) return dir;
  const r = await runGit(['rev-parse', '--git-dir'], { cwd: dir, allowFailure: true });
  if (r.code !== 0) throw new CountersignError('bad-input', `${what} is not a git repository${given === undefined ? ' (pass --repo DIR)' : ''}`);
  return dir;
}

/** `dir/.git` is a repository (a directory with HEAD) or a worktree's / submodule's `gitdir:` file. */
async function isCheckoutTop(dir: string): Promise<boolean> {
  const dotGit = join(dir, '.git');
  try {
    const s = await stat(dotGit);
    if (s.isDirectory()) return (await stat(join(dotGit, 'HEAD'))).isFile();
    return s.isFile() && (await readFile(dotGit, 'utf8')).startsWith('gitdir: ');
  } catch {
    return false;
  }
}

/**
 * Fetches `notesRef` from `remote`; if that fails, warns on stderr and goes on with the local notes.
 * Missing notes can only lower a count, never raise it, so checking what is local is safe, but the user is told.
 */
export async function fetchNotesOrWarn(repo: string, remote: string, notesRef: string, io: CliIO): Promise<void> {
  try {
    await fetchNotes(repo, remote, notesRef);
  } catch (e) {
    io.stderr.write(`countersign: warning: could not fetch ${notesRef} from ${remote} (${oneLine((e as Error).message)}); using local notes only\n`);
  }
}
