import { resolveCommit } from './commit';
import { assembleDiff, parsePatch, parseRawNumstat, type DiffFile, type DiffHunk, type DiffTruncation, type FileChange } from './diff-parse';
import { runGit } from './run';

export type { DiffFile, DiffHunk, DiffLine, DiffTruncation, FileStatus } from './diff-parse';

export interface CommitDiffOptions {
  /** Bytes of patch text read from git at most (default 2 MiB); beyond it git is stopped. */
  maxBytes?: number;
  /** Hunk lines kept at most, over all files (default 20,000). */
  maxLines?: number;
  /** Files listed at most (default 1,000). */
  maxFiles?: number;
  /** Accept refs and abbreviations, not only full ids (see resolveCommit). */
  allowRevisions?: boolean;
  /**
   * Read hunks only for the files this picks from the file list; the others are listed with
   * their counts and no hunks. A picked file whose patch is cut at `maxBytes` (a few very long
   * lines) gets no hunks either and the files after it are read again, so one such file early in
   * the list does not crowd out the small files after it.
   */
  patchFiles?: (changes: FileChange[]) => FileChange[];
}

/** A change's paths for a pathspec (a rename or copy needs both, for rename detection to pair them). */
function pathsOf(c: FileChange): string[] {
  return c.oldPath && c.oldPath !== c.path ? [c.oldPath, c.path] : [c.path];
}

/** Reads of the patch for picked files: a file whose patch alone passes maxBytes is skipped, this many times at most. */
const PATCH_ROUNDS = 4;

export interface CommitDiff {
  commit: string;
  /** What the commit is compared with: its first parent (a change: its base), or null for a root commit (the empty tree). */
  base: string | null;
  files: DiffFile[];
  truncated: DiffTruncation & {
    /** The patch text hit maxBytes. */
    bytes: boolean;
  };
}

/** Options that pin the patch format whatever the user's or repository's config says. */
const DIFF_FLAGS = ['-r', '-M', '--no-commit-id', '--no-ext-diff', '--no-textconv', '--no-relative', '--full-index'];

/**
 * What a commit changed, relative to its first parent (a merge shows what it brought into the
 * first-parent line; a root commit is compared with the empty tree). Files come from
 * `--raw --numstat` (so binary files and counts are exact even when hunks are cut), hunks from
 * the patch, both with rename detection.
 */
export async function commitDiff(repoDir: string, commit: string, opts: CommitDiffOptions = {}): Promise<CommitDiff> {
  const info = await resolveCommit(repoDir, commit, { allowRevisions: opts.allowRevisions });
  return treeDiff(repoDir, info.parents[0] ?? null, info.id, opts);
}

/**
 * What a change brought: the combined diff from `base` to `head` (full ids; base an ancestor of
 * head, e.g. their merge-base), as a pull request shows it — one diff, whatever the commits between.
 */
export async function changeDiff(repoDir: string, base: string, head: string, opts: Omit<CommitDiffOptions, 'allowRevisions'> = {}): Promise<CommitDiff> {
  const [b, h] = await Promise.all([resolveCommit(repoDir, base), resolveCommit(repoDir, head)]);
  return treeDiff(repoDir, b.id, h.id, opts);
}

async function treeDiff(repoDir: string, base: string | null, head: string, opts: CommitDiffOptions): Promise<CommitDiff> {
  const range = base ? [base, head] : ['--root', head];
  const maxBytes = opts.maxBytes ?? 2 * 1024 * 1024;

  const readPatch = (paths: string[] | null) =>
    paths !== null && paths.length === 0
      ? Promise.resolve({ stdout: '', truncated: false })
      : runGit(
          [
            '--literal-pathspecs', '-c', 'diff.suppressBlankEmpty=false',
            'diff-tree', ...DIFF_FLAGS, '-p', '-U3', '--no-color', '--src-prefix=a/', '--dst-prefix=b/', ...range,
            ...(paths ? ['--', ...paths] : []),
          ],
          { cwd: repoDir, maxOutputBytes: maxBytes },
        );
  const statRun = runGit(['diff-tree', ...DIFF_FLAGS, '--raw', '--numstat', '-z', ...range], { cwd: repoDir });
  let stat;
  let patch;
  if (opts.patchFiles) {
    stat = await statRun;
    let left = opts.patchFiles(parseRawNumstat(stat.stdout));
    let text = '';
    for (let round = 0; left.length > 0 && round < PATCH_ROUNDS; round++) {
      const r = await readPatch(left.flatMap(pathsOf));
      if (!r.truncated) {
        text += r.stdout;
        left = [];
        break;
      }
      // Keep the sections read whole; drop the one cut short and read on from the file after it.
      const cutAt = r.stdout.lastIndexOf('\ndiff --git ') + 1;
      const whole = r.stdout.slice(0, cutAt);
      text += whole;
      const done = new Set(parsePatch(whole).map((sec) => sec.path));
      const cutFile = left.findIndex((c) => !done.has(c.path));
      left = cutFile < 0 ? [] : left.slice(cutFile + 1);
    }
    patch = { stdout: text, truncated: false };
  } else {
    [stat, patch] = await Promise.all([statRun, readPatch(null)]);
  }
  const changes = parseRawNumstat(stat.stdout);
  const sections = parsePatch(patch.stdout, { maxLines: opts.maxLines ?? 20_000, inputCut: patch.truncated });
  const { files, truncated } = assembleDiff(changes, sections, { maxFiles: opts.maxFiles ?? 1_000 });
  return { commit: head, base, files, truncated: { ...truncated, bytes: patch.truncated } };
}

/** A file's patch beyond this many bytes is not read (the diff API says so; the rest is for git). */
export const FILE_DIFF_MAX_BYTES = 32 * 1024 * 1024;

export interface FileDiff {
  /** The file appears in the diff (false: the range does not change that path). */
  found: boolean;
  hunks: DiffHunk[];
  /** The patch was longer than `maxBytes`: hunks end early. */
  cut: boolean;
  /** Git says the file is binary (no hunks). */
  binary: boolean;
}

/**
 * One file's part of a commit's (base null: root commit) or a change's diff, with the same flags
 * as treeDiff so its hunks are the same. A rename or copy needs `oldPath` too: rename detection
 * only pairs paths the pathspec includes. Paths are literal (no pathspec magic or globs).
 */
export async function fileDiff(
  repoDir: string,
  base: string | null,
  head: string,
  file: { path: string; oldPath?: string },
  opts: { maxBytes?: number } = {},
): Promise<FileDiff> {
  const range = base ? [base, head] : ['--root', head];
  const paths = file.oldPath && file.oldPath !== file.path ? [file.oldPath, file.path] : [file.path];
  const patch = await runGit(
    [
      '--literal-pathspecs', '-c', 'diff.suppressBlankEmpty=false',
      'diff-tree', ...DIFF_FLAGS, '-p', '-U3', '--no-color', '--src-prefix=a/', '--dst-prefix=b/', ...range, '--', ...paths,
    ],
    { cwd: repoDir, maxOutputBytes: opts.maxBytes ?? FILE_DIFF_MAX_BYTES },
  );
  const sections = parsePatch(patch.stdout, { inputCut: patch.truncated }).filter((s) => s.path === file.path);
  const binary = /^Binary files .* differ$/m.test(patch.stdout);
  return { found: sections.length > 0, hunks: sections.flatMap((s) => s.hunks), cut: patch.truncated, binary };
}

/** The files a commit (base null: root commit) or a change changes, with counts; no content. */
export async function diffChanges(repoDir: string, base: string | null, head: string): Promise<FileChange[]> {
  const range = base ? [base, head] : ['--root', head];
  const stat = await runGit(['diff-tree', ...DIFF_FLAGS, '--raw', '--numstat', '-z', ...range], { cwd: repoDir });
  return parseRawNumstat(stat.stdout);
}
