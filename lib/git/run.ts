import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CountersignError } from '../errors';

export interface RunGitOptions {
  /** The repository (or any directory inside it) git runs in. */
  cwd: string;
  /** Written to git's stdin, then stdin is closed. Without it stdin is closed at once. */
  input?: string | Buffer;
  /** Extra environment on top of the sanitized process environment. */
  env?: Record<string, string | undefined>;
  /** Return a non-zero exit as a result instead of throwing CountersignError('git-failed'). */
  allowFailure?: boolean;
  /**
   * Stop reading stdout after this many bytes and end git (used for diffs of huge commits).
   * The result then has `truncated: true` and the exit code is not an error.
   */
  maxOutputBytes?: number;
  /** Called with git's stderr as it arrives (progress of a long fetch, lib/git/clone.ts). */
  onStderr?: (chunk: string) => void;
  /** Ends git (SIGTERM) when aborted, e.g. a clone still running when the server stops. */
  signal?: AbortSignal;
}

export interface RunGitResult {
  /** stdout decoded as UTF-8 (use `stdoutBytes` for binary content). */
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
  code: number;
  /** True when stdout was cut at `maxOutputBytes`. */
  truncated: boolean;
}

/**
 * Configuration that would change the output we parse or run code we did not ask for.
 * Given as `-c` so it beats the user's and the repository's config.
 */
const FIXED_CONFIG = [
  'core.quotepath=off',
  'color.ui=false',
  'diff.noprefix=false',
  'diff.mnemonicPrefix=false',
  'log.showSignature=false',
  'core.pager=cat',
  'advice.detachedHead=false',
];

/**
 * Variables that redirect git to another repository, index or notes ref when we happen to run
 * inside a git hook or an alias; git's own `local_repo_env` list plus the notes variables.
 */
const INHERITED_ENV_TO_DROP = [
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_COMMON_DIR',
  'GIT_NOTES_REF',
  'GIT_NOTES_DISPLAY_REF',
  'GIT_NOTES_REWRITE_REF',
  'GIT_NOTES_REWRITE_MODE',
  'GIT_EXTERNAL_DIFF',
  'GIT_PAGER',
];

export function gitEnv(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of INHERITED_ENV_TO_DROP) delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('GIT_CONFIG_KEY_') || k.startsWith('GIT_CONFIG_VALUE_')) delete env[k];
  // Never wait for a password on a terminal nobody watches; messages we match on stay English.
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  env.LANGUAGE = 'C';
  if (extra) {
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
  }
  return env;
}

/** The first meaningful lines of git's stderr, for a message a person can act on. */
function summarizeStderr(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('hint:'));
  const text = lines.slice(0, 6).join('; ');
  return text.length > 600 ? text.slice(0, 600) + '…' : text;
}

/** The arguments runGit puts before a command's own: configuration that must not vary. */
export function fixedConfigArgs(): string[] {
  return FIXED_CONFIG.flatMap((c) => ['-c', c]);
}

/** The message of a failed git command, as runGit reports it. */
export function gitFailureMessage(what: string, cwd: string, stderr: string, exit: number): string {
  return `${what} failed in ${cwd}: ${summarizeStderr(stderr) || `exit code ${exit}`}${hintFor(stderr)}`;
}

function hintFor(stderr: string): string {
  if (/not a git repository/i.test(stderr)) return ' (is the path a git clone? pass the repository directory)';
  if (/does not appear to be a git repository|could not read from remote|unable to access|could not resolve host/i.test(stderr)) {
    return ' (check the remote name/URL and that it is reachable)';
  }
  if (/dubious ownership/i.test(stderr)) return ' (run `git config --global --add safe.directory <dir>` for this repository)';
  return '';
}

/**
 * git processes started by this module, in total and by command name (diagnostics: the approval
 * benchmark prints how many an approval costs, since each spawn is several ms from a big process).
 */
export const gitProcessStats: { spawned: number; byCommand: Record<string, number>; msByCommand: Record<string, number> } = {
  spawned: 0,
  byCommand: {},
  msByCommand: {},
};

/** Counts one git process; call the returned function when it has ended to add its wall time. */
export function countGitProcess(what: string): () => void {
  gitProcessStats.spawned++;
  gitProcessStats.byCommand[what] = (gitProcessStats.byCommand[what] ?? 0) + 1;
  const t0 = performance.now();
  return () => {
    gitProcessStats.msByCommand[what] = (gitProcessStats.msByCommand[what] ?? 0) + performance.now() - t0;
  };
}

/**
 * Runs git with an argument array (never a shell), in `cwd`, with prompts disabled and
 * output-changing user configuration overridden. Throws CountersignError('git-failed') carrying
 * git's stderr unless `allowFailure`.
 */
export function runGit(args: string[], opts: RunGitOptions): Promise<RunGitResult> {
  const fullArgs = fixedConfigArgs().concat(args);
  let sub = 0;
  while (sub < args.length && args[sub].startsWith('-')) sub += args[sub] === '-c' || args[sub] === '-C' ? 2 : 1;
  const what = `git ${args[sub] ?? args[0] ?? ''}`.trim();
  return new Promise((resolve, reject) => {
    if (!existsSync(opts.cwd)) {
      reject(new CountersignError('git-failed', `${what} failed: directory ${opts.cwd} does not exist`));
      return;
    }
    const ended = countGitProcess(what);
    const child = spawn('git', fullArgs, { cwd: opts.cwd, env: gitEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let truncated = false;
    const limit = opts.maxOutputBytes ?? Infinity;

    child.stdout.on('data', (chunk: Buffer) => {
      if (truncated) return;
      if (outBytes + chunk.length > limit) {
        out.push(chunk.subarray(0, limit - outBytes));
        outBytes = limit;
        truncated = true;
        child.stdout.destroy();
        child.kill('SIGTERM');
        return;
      }
      out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      opts.onStderr?.(chunk.toString('utf8'));
    });
    if (opts.signal) {
      const stop = () => child.kill('SIGTERM');
      if (opts.signal.aborted) stop();
      else opts.signal.addEventListener('abort', stop, { once: true });
      child.on('close', () => opts.signal?.removeEventListener('abort', stop));
    }
    // git may exit before reading all of stdin (e.g. on a bad argument); the exit code tells the story.
    child.stdin.on('error', () => {});

    child.on('error', (e: NodeJS.ErrnoException) => {
      const msg = e.code === 'ENOENT' ? 'git is not installed or not on PATH' : e.message;
      reject(new CountersignError('git-failed', `${what} could not start: ${msg}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      ended();
      const stdoutBytes = Buffer.concat(out);
      const stderr = Buffer.concat(err).toString('utf8');
      const exit = code ?? (signal ? 128 : 1);
      const result: RunGitResult = { stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr, code: truncated ? 0 : exit, truncated };
      if (result.code !== 0 && !opts.allowFailure) {
        reject(new CountersignError('git-failed', gitFailureMessage(what, opts.cwd, stderr, exit)));
        return;
      }
      resolve(result);
    });

    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
