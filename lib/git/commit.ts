import { CountersignError } from '../errors';
import { checkNotOption, objectFormatOf, readObjects } from './objects';
import { indexedBranchesContaining } from './reach-index';
import { runGit } from './run';

export interface GitIdent {
  name: string;
  email: string;
  /** ISO 8601 in UTC, e.g. 2024-05-01T12:00:00.000Z. */
  date: string;
  /** Seconds since the epoch, as recorded. */
  timestamp: number;
  /** The recorded zone, e.g. "+0200". */
  tz: string;
}

export interface CommitInfo {
  id: string;
  tree: string;
  parents: string[];
  author: GitIdent;
  committer: GitIdent;
  /** The full message (after the header), as recorded. */
  message: string;
  /** The first line of the message. */
  title: string;
  objectFormat: 'sha1' | 'sha256';
  /** The raw signature header value (`gpgsig` / `gpgsig-sha256`), continuation lines joined with LF. */
  gpgsig?: string;
}

const FULL_ID_RE = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;

function parseIdent(value: string, field: string, id: string): GitIdent {
  const m = /^(.*?) ?<([^<>]*)> (-?\d+) ([+-]\d{4})$/.exec(value);
  if (!m) throw new CountersignError('git-failed', `commit ${id} has an unreadable ${field} line: ${JSON.stringify(value.slice(0, 120))}`);
  const timestamp = Number(m[3]);
  return { name: m[1], email: m[2], timestamp, tz: m[4], date: new Date(timestamp * 1000).toISOString() };
}

/** Parses a raw commit object (what `git cat-file commit` prints). Pure. */
export function parseCommitObject(id: string, raw: string): CommitInfo {
  const split = raw.indexOf('\n\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const message = split < 0 ? '' : raw.slice(split + 2);
  const headers: Array<[string, string]> = [];
  for (const line of head.split('\n')) {
    // A header value continues on lines starting with a space (signatures, mergetags).
    if (line.startsWith(' ') && headers.length > 0) headers[headers.length - 1][1] += '\n' + line.slice(1);
    else {
      const sp = line.indexOf(' ');
      headers.push(sp < 0 ? [line, ''] : [line.slice(0, sp), line.slice(sp + 1)]);
    }
  }
  const one = (k: string) => headers.find(([h]) => h === k)?.[1];
  const tree = one('tree');
  const author = one('author');
  const committer = one('committer');
  if (!tree || !author || !committer) throw new CountersignError('git-failed', `commit ${id} is missing its tree, author or committer header`);
  const objectFormat = id.length === 64 ? 'sha256' : 'sha1';
  // The signature over this object's own format: `gpgsig` in SHA-1 repositories, `gpgsig-sha256` in SHA-256 ones.
  const gpgsig = objectFormat === 'sha256' ? one('gpgsig-sha256') ?? one('gpgsig') : one('gpgsig') ?? one('gpgsig-sha256');
  const info: CommitInfo = {
    id,
    tree,
    parents: headers.filter(([h]) => h === 'parent').map(([, v]) => v),
    author: parseIdent(author, 'author', id),
    committer: parseIdent(committer, 'committer', id),
    message,
    title: message.split('\n', 1)[0] ?? '',
    objectFormat,
  };
  if (gpgsig !== undefined) info.gpgsig = gpgsig;
  return info;
}

/**
 * Resolves `rev` to a commit in `repoDir`. By default only a full hex commit id (40 or 64 digits)
 * is accepted — what gets signed must be named exactly; `allowRevisions` also accepts refs and
 * abbreviations (for people typing at a CLI). Anything else: CountersignError('unknown-commit').
 */
export async function resolveCommit(repoDir: string, rev: string, opts: { allowRevisions?: boolean } = {}): Promise<CommitInfo> {
  if (typeof rev !== 'string' || rev.length === 0) throw new CountersignError('unknown-commit', 'no commit given: pass a full commit id');
  let name: string;
  if (FULL_ID_RE.test(rev)) {
    name = rev.toLowerCase();
  } else if (opts.allowRevisions) {
    try {
      checkNotOption(rev, 'revision');
    } catch (e) {
      throw new CountersignError('unknown-commit', (e as Error).message);
    }
    name = `${rev}^{commit}`;
  } else {
    throw new CountersignError(
      'unknown-commit',
      `${JSON.stringify(rev.slice(0, 100))} is not a commit id: expected a full hex object id (40 hex digits for SHA-1, 64 for SHA-256)`,
    );
  }
  const [obj] = await readObjects(repoDir, [name]);
  if (!obj.found) {
    if (obj.reason === 'ambiguous') throw new CountersignError('unknown-commit', `${JSON.stringify(rev)} is ambiguous in ${repoDir}: give more hex digits or the full id`);
    if (FULL_ID_RE.test(rev)) {
      const format = await objectFormatOf(repoDir);
      const expected = format === 'sha1' ? 40 : 64;
      if (rev.length !== expected) {
        throw new CountersignError('unknown-commit', `${rev} has ${rev.length} hex digits but ${repoDir} uses ${format} ids (${expected} digits)`);
      }
    }
    throw new CountersignError('unknown-commit', `commit ${rev} is not in ${repoDir} (fetch it first, or check the id)`);
  }
  if (obj.type !== 'commit') throw new CountersignError('unknown-commit', `${rev} is a ${obj.type}, not a commit`);
  return parseCommitObject(obj.oid, obj.content.toString('utf8'));
}

/**
 * The content of `path` at `ref` (any tree-ish), or null when the file does not exist there.
 * An unknown ref is an error (CountersignError('not-found')), not an absent file.
 */
export async function readFileAtRef(repoDir: string, ref: string, path: string): Promise<string | null> {
  checkNotOption(ref, 'ref');
  if (typeof path !== 'string' || path.length === 0 || /[\0\n\r]/.test(path)) {
    throw new CountersignError('bad-input', `path ${JSON.stringify(path)} is empty or contains a line break`);
  }
  const clean = path.replace(/^\/+/, '');
  const [tree, file] = await readObjects(repoDir, [`${ref}^{tree}`, `${ref}:${clean}`]);
  if (!tree.found) throw new CountersignError('not-found', `ref ${ref} does not exist in ${repoDir} (fetch it, or name another ref)`);
  if (!file.found) return null;
  if (file.type !== 'blob') throw new CountersignError('bad-input', `${clean} at ${ref} is a ${file.type}, not a file`);
  return file.content.toString('utf8');
}

async function refExists(repoDir: string, ref: string): Promise<boolean> {
  const r = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { cwd: repoDir, allowFailure: true });
  return r.code === 0;
}

/**
 * The default branch of `remote` as this clone knows it: refs/remotes/<remote>/HEAD if set
 * (clone sets it), else <remote>/main, else <remote>/master. Purely local; no network.
 */
export async function defaultBranchOfRemote(repoDir: string, remote: string): Promise<{ branch: string; ref: string }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(remote) || remote.includes('..')) {
    throw new CountersignError('bad-input', `remote name ${JSON.stringify(remote)} is not valid: use a configured remote such as "origin"`);
  }
  const prefix = `refs/remotes/${remote}/`;
  const sym = await runGit(['symbolic-ref', '--quiet', `${prefix}HEAD`], { cwd: repoDir, allowFailure: true });
  const target = sym.stdout.trim();
  if (sym.code === 0 && target.startsWith(prefix) && (await refExists(repoDir, target))) {
    return { branch: target.slice(prefix.length), ref: target };
  }
  for (const branch of ['main', 'master']) {
    if (await refExists(repoDir, prefix + branch)) return { branch, ref: prefix + branch };
  }
  throw new CountersignError(
    'not-found',
    `cannot tell the default branch of remote "${remote}" in ${repoDir}: run \`git fetch ${remote}\` and \`git remote set-head ${remote} --auto\`, or pass a ref explicitly`,
  );
}

/** Local and remote-tracking branches whose history contains `commit` (full ref names, sorted). */
export async function branchesContaining(repoDir: string, commit: string): Promise<Array<{ ref: string; name: string }>> {
  const info = await resolveCommit(repoDir, commit);
  // The server's clones keep an index of what each branch tip reaches (./reach-index.ts).
  const indexed = await indexedBranchesContaining(repoDir, info.id);
  if (indexed) return indexed;
  const { stdout } = await runGit(
    ['for-each-ref', `--contains=${info.id}`, '--format=%(refname)%00%(refname:short)%00%(symref)', 'refs/heads', 'refs/remotes'],
    { cwd: repoDir },
  );
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\0'))
    .filter(([, , symref]) => !symref) // refs/remotes/origin/HEAD repeats another branch
    .map(([ref, name]) => ({ ref, name }))
    .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
}

/**
 * Splits a raw commit object into what its signature signs and the signature, exactly as git's
 * parse_buffer_signed_by_header (commit.c) does: the payload is the object with the signature
 * header of its own object format (`gpgsig` for SHA-1, `gpgsig-sha256` for SHA-256) and its
 * continuation lines removed, and any other `gpgsig*` header removed too; the signature is that
 * header's value with the leading space of each continuation line dropped. Works on bytes (the
 * message need not be UTF-8). Null signature when the commit carries none.
 */
export function splitSignedCommit(raw: Uint8Array, objectFormat: 'sha1' | 'sha256'): { payload: Buffer; signature: Buffer | null } {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const header = Buffer.from(objectFormat === 'sha256' ? 'gpgsig-sha256 ' : 'gpgsig ');
  const payload: Buffer[] = [];
  const signature: Buffer[] = [];
  let inSignature = false;
  let otherSignature = false;
  let sawSignature = false;
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    let next = nl < 0 ? buf.length : nl + 1;
    const line = buf.subarray(pos, next);
    let sig: Buffer | null = null;
    if (inSignature && line[0] === 0x20) sig = line.subarray(1);
    else if (line.subarray(0, header.length).equals(header)) {
      sig = line.subarray(header.length);
      otherSignature = false;
    } else if (line.subarray(0, 6).toString('latin1') === 'gpgsig') otherSignature = true;
    else if (otherSignature && line[0] !== 0x20) otherSignature = false;
    if (sig) {
      signature.push(sig);
      sawSignature = true;
      inSignature = true;
    } else {
      // The blank line ends the header: the rest (the message) is payload, whatever it holds.
      if (line[0] === 0x0a) next = buf.length;
      if (!otherSignature) payload.push(buf.subarray(pos, next));
      inSignature = false;
    }
    pos = next;
  }
  return { payload: Buffer.concat(payload), signature: sawSignature ? Buffer.concat(signature) : null };
}

/** A commit as read, with its raw bytes (for checking its signature). */
export async function readRawCommits(repoDir: string, ids: string[]): Promise<Array<{ info: CommitInfo; raw: Buffer }>> {
  for (const id of ids) {
    if (!FULL_ID_RE.test(id)) throw new CountersignError('unknown-commit', `${JSON.stringify(id.slice(0, 100))} is not a full commit id`);
  }
  const objs = await readObjects(repoDir, ids.map((id) => id.toLowerCase()));
  return objs.map((obj, i) => {
    if (!obj.found) throw new CountersignError('unknown-commit', `commit ${ids[i]} is not in the repository (fetch it first, or check the id)`);
    if (obj.type !== 'commit') throw new CountersignError('unknown-commit', `${ids[i]} is a ${obj.type}, not a commit`);
    return { info: parseCommitObject(obj.oid, obj.content.toString('utf8')), raw: obj.content };
  });
}
