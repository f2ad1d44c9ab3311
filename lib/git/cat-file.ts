import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CountersignError } from '../errors';
import { countGitProcess, fixedConfigArgs, gitEnv, gitFailureMessage } from './run';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export type BatchObject =
  | { name: string; found: true; oid: string; type: ObjectType; content: Buffer }
  | { name: string; found: false; reason: 'missing' | 'ambiguous' };

/**
 * A long-running `git cat-file --batch` per repository, so that object reads on the approval path
 * cost a pipe round trip instead of a process: starting git from a large Node process takes
 * several ms (fork copies its page tables), a round trip well under one.
 *
 * It stays correct while other processes write the repository: cat-file resolves every name
 * afresh (loose and packed refs are re-read, a ref that moved is seen at once) and, when an
 * object is not in the packs it knows, rescans the pack directory before answering "missing"
 * (so packs written later by fast-import or fetch are found, and gc/repack are survived).
 * Requests are answered in order; several can be in flight. A process that has been idle for a
 * while ends, does not keep Node alive meanwhile, and is replaced if its directory is.
 */
const IDLE_MS = 10_000;
/** Replaced after this many requests: cat-file keeps what it parsed, so memory only grows. */
const MAX_REQUESTS = 20_000;
/** Processes kept at once (one per repository in use); the least recently used idle one goes first. */
const MAX_PROCESSES = 16;

/** The process died under the request (not an answer about the objects). */
class BatchProcessGone extends CountersignError {}

interface Request {
  names: string[];
  results: BatchObject[];
  resolve: (r: BatchObject[]) => void;
  reject: (e: unknown) => void;
}

const HEADER_RE = /^([0-9a-f]{40}|[0-9a-f]{64}) (commit|tree|blob|tag) (\d+)$/;

/** Identifies the repository directory (and a working tree's .git), to notice it being replaced. */
function identityOf(dir: string): string | null {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) return null;
  const dotGit = statSync(`${dir}/.git`, { throwIfNoEntry: false });
  return `${st.dev}:${st.ino}${dotGit ? `/${dotGit.dev}:${dotGit.ino}` : ''}`;
}

class BatchProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Request[] = [];
  /** Unparsed stdout: chunks not concatenated until a whole object is there (large blobs). */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Header of the object whose content is being read. */
  private object: { oid: string; type: ObjectType; size: number } | null = null;
  private stderr = '';
  private idleTimer: NodeJS.Timeout | null = null;
  private requests = 0;
  private answered = 0;
  gone = false;
  lastUsed = Date.now();
  get pid(): number | undefined {
    return this.child.pid;
  }

  constructor(
    readonly cwd: string,
    readonly identity: string,
    private readonly onGone: (p: BatchProcess) => void,
  ) {
    countGitProcess('git cat-file');
    this.child = spawn('git', [...fixedConfigArgs(), 'cat-file', '--batch'], { cwd, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 8192) this.stderr += chunk.toString('utf8');
    });
    this.child.stdin.on('error', () => {}); // EPIPE when git died: reported by 'close'
    this.child.on('error', (e: NodeJS.ErrnoException) => {
      const msg = e.code === 'ENOENT' ? 'git is not installed or not on PATH' : e.message;
      this.die(new CountersignError('git-failed', `git cat-file could not start: ${msg}`, { cause: e }));
    });
    this.child.on('close', (code, signal) => {
      const exit = code ?? (signal ? 128 : 1);
      this.die(new BatchProcessGone('git-failed', gitFailureMessage('git cat-file', this.cwd, this.stderr, exit)));
    });
  }

  /** True once it has answered something: its failure is then news, worth one retry in a new process. */
  get proven(): boolean {
    return this.answered > 0;
  }

  get busy(): boolean {
    return this.queue.length > 0;
  }

  get worn(): boolean {
    return this.requests >= MAX_REQUESTS;
  }

  read(names: string[]): Promise<BatchObject[]> {
    if (this.gone) return Promise.reject(new BatchProcessGone('git-failed', `git cat-file in ${this.cwd} has ended`));
    this.lastUsed = Date.now();
    this.requests++;
    this.setActive(true);
    return new Promise<BatchObject[]>((resolve, reject) => {
      this.queue.push({ names, results: [], resolve, reject });
      this.child.stdin.write(names.join('\n') + '\n');
    });
  }

  end(): void {
    if (this.gone) return;
    this.gone = true;
    this.onGone(this);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // Requests in flight are still answered: cat-file finishes its input before exiting.
    this.child.stdin.end();
    if (this.queue.length === 0) this.setActive(false);
  }

  /** While requests are in flight the process keeps Node alive; idle, it does not. */
  private setActive(active: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as Array<{ ref?: () => void; unref?: () => void }>;
    for (const h of handles) (active ? h.ref : h.unref)?.call(h);
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (!active && !this.gone) {
      this.idleTimer = setTimeout(() => this.end(), IDLE_MS);
      this.idleTimer.unref();
    }
  }

  private die(error: CountersignError): void {
    const wasGone = this.gone;
    this.gone = true;
    if (!wasGone) this.onGone(this);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const r of this.queue.splice(0)) r.reject(error);
    this.setActive(false);
  }

  private deliver(result: BatchObject): void {
    const r = this.queue[0];
    if (!r) return this.protocolError('output nobody asked for');
    r.results.push(result);
    if (r.results.length === r.names.length) {
      this.queue.shift();
      this.answered++;
      r.resolve(r.results);
      if (this.queue.length === 0) {
        if (this.worn && !this.gone) this.end();
        else this.setActive(false);
      }
    }
  }

  private protocolError(what: string): void {
    this.die(new CountersignError('git-failed', `unexpected git cat-file --batch output in ${this.cwd}: ${what.slice(0, 120)}`));
    this.child.kill('SIGTERM');
  }

  private onData(chunk: Buffer): void {
    this.parts.push(chunk);
    this.partsLength += chunk.length;
    if (this.object && this.partsLength < this.object.size + 1) return;
    const buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    let pos = 0;
    while (!this.gone || this.queue.length > 0) {
      if (!this.object) {
        const nl = buf.indexOf(0x0a, pos);
        if (nl < 0) break;
        const header = buf.toString('utf8', pos, nl);
        pos = nl + 1;
        const m = HEADER_RE.exec(header);
        const r = this.queue[0];
        if (m) this.object = { oid: m[1], type: m[2] as ObjectType, size: Number(m[3]) };
        else if (r && (header.endsWith(' missing') || header.endsWith(' ambiguous'))) {
          this.deliver({ name: r.names[r.results.length], found: false, reason: header.endsWith(' missing') ? 'missing' : 'ambiguous' });
          continue;
        } else return this.protocolError(header);
      }
      const { oid, type, size } = this.object;
      if (buf.length - pos < size + 1) break;
      // A copy: a subarray would keep the whole chunk alive as long as the caller keeps the content.
      const content = Buffer.from(buf.subarray(pos, pos + size));
      pos += size + 1; // content is followed by a LF
      this.object = null;
      const r = this.queue[0];
      if (!r) return this.protocolError(`${oid} ${type} ${size}`);
      this.deliver({ name: r.names[r.results.length], found: true, oid, type, content });
    }
    if (pos < buf.length) {
      this.parts = [buf.subarray(pos)];
      this.partsLength = buf.length - pos;
    }
  }
}

// Shared by every copy of this module (Next.js bundles server code more than once).
const processes: Map<string, BatchProcess> = ((globalThis as Record<symbol, unknown>)[Symbol.for('countersign.cat-file')] ??= new Map()) as Map<
  string,
  BatchProcess
>;

function processFor(repoDir: string): BatchProcess {
  const key = resolve(repoDir);
  const identity = identityOf(key);
  if (identity === null) throw new CountersignError('git-failed', `git cat-file failed: directory ${repoDir} does not exist`);
  const existing = processes.get(key);
  if (existing && !existing.gone && !existing.worn && existing.identity === identity) return existing;
  existing?.end();
  if (processes.size >= MAX_PROCESSES) {
    const idle = [...processes.values()].filter((p) => !p.busy).sort((a, b) => a.lastUsed - b.lastUsed)[0];
    idle?.end();
  }
  const created = new BatchProcess(key, identity, (p) => {
    if (processes.get(key) === p) processes.delete(key);
  });
  processes.set(key, created);
  return created;
}

/**
 * Reads objects by name (anything git's `<rev>` syntax accepts) through the repository's
 * long-running cat-file; one result per name, in order. If a process that had been answering
 * dies under the request, the request is retried once in a new one.
 */
export async function readObjectsBatched(repoDir: string, names: string[]): Promise<BatchObject[]> {
  for (let attempt = 1; ; attempt++) {
    const p = processFor(repoDir);
    const proven = p.proven;
    try {
      return await p.read(names);
    } catch (e) {
      if (!(e instanceof BatchProcessGone) || !proven || attempt > 1) throw e;
    }
  }
}

/** The pid of the repository's long-running cat-file, if one is running (diagnostics, tests). */
export function objectReaderPid(repoDir: string): number | null {
  const p = processes.get(resolve(repoDir));
  return p && !p.gone ? (p.pid ?? null) : null;
}

/** Ends every long-running cat-file (they also end by themselves when idle). */
export function closeObjectReaders(): void {
  for (const p of [...processes.values()]) p.end();
}
