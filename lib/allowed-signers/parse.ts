import { CountersignError } from '../errors';
import { parsePublicKeyBlob, type SshPublicKey } from '../ssh/public-key';
import { parseAbsoluteTime } from './time';

/**
 * The allowed_signers file of `ssh-keygen -Y verify` (ssh-keygen(1) "ALLOWED SIGNERS"),
 * read the way OpenSSH 9.2's sshsig.c reads it:
 *
 *   principals [options] keytype base64-key [comment]
 *
 * principals: comma-separated patterns (first whitespace-delimited token; may be quoted).
 * options: `cert-authority`, `namespaces="p1,p2"`, `valid-after="T"`, `valid-before="T"`
 * (names case-insensitive, values quoted). Any other option makes the line an error, as in
 * OpenSSH ("unknown key option"). `#` comments and blank lines are skipped.
 *
 * How OpenSSH treats a bad line when verifying: it logs the error and moves on to the next
 * line (check_allowed_keys_line returns "not found" for it), so a bad line can never
 * authorise a signature but does not stop a later good line from doing so. The strict
 * parser below throws on the first bad line (for files Countersign owns); the lenient one
 * drops bad lines and reports them, which gives ssh-keygen's verdicts.
 */
export interface AllowedSigner {
  /** Principal patterns as written (after unquoting), e.g. `alice@example.org,*@ops.example.org`. */
  principals: string;
  key: SshPublicKey;
  certAuthority: boolean;
  /** `namespaces="…"` pattern list, if present. */
  namespaces?: string;
  /** Unix seconds; the key is valid from this time on. */
  validAfter?: number;
  /** Unix seconds; the key is valid up to this time. */
  validBefore?: number;
  /** Where the line came from, for messages. */
  source: string;
  line: number;
}

export interface AllowedSignersProblem {
  line: number;
  message: string;
  code: 'bad-allowed-signers' | 'unsupported-algorithm';
}

const WHITESPACE = ' \t\r\n';

class LineError extends Error {
  constructor(
    message: string,
    readonly code: AllowedSignersProblem['code'] = 'bad-allowed-signers',
  ) {
    super(message);
  }
}

/** strdelimw: the next whitespace-delimited token, where a double quote starts a quoted run. */
function strdelimw(s: string, pos: number): { token: string; next: number | null } | null {
  let i = pos;
  while (i < s.length && !WHITESPACE.includes(s[i]) && s[i] !== '"') i++;
  if (i === s.length) return { token: s.slice(pos), next: null };
  if (s[i] === '"') {
    const close = s.indexOf('"', i + 1);
    if (close < 0) return null; // no matching quote
    let next = close + 1;
    while (next < s.length && WHITESPACE.includes(s[next])) next++;
    return { token: s.slice(pos, i) + s.slice(i + 1, close), next };
  }
  let next = i + 1;
  while (next < s.length && WHITESPACE.includes(s[next])) next++;
  return { token: s.slice(pos, i), next };
}

/**
 * Key type names sshkey_read accepts, mapped to the key type the blob must have. OpenSSH
 * also takes the signature-only names (webauthn-sk-…, rsa-sha2-…) for their key types.
 */
const KEY_TYPE_NAMES = new Map<string, string>([
  ['ssh-ed25519', 'ssh-ed25519'],
  ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256'],
  ['sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'],
  ['webauthn-sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'],
  // Known to OpenSSH; parsePublicKeyBlob refuses them with a reason.
  ['ssh-rsa', 'ssh-rsa'],
  ['rsa-sha2-256', 'ssh-rsa'],
  ['rsa-sha2-512', 'ssh-rsa'],
  ['ssh-dss', 'ssh-dss'],
  ['ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384'],
  ['ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp521'],
  ['sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519@openssh.com'],
]);

function isB64Space(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

type KeyRead = { key: SshPublicKey; end: number } | { error: string; unsupported?: boolean };

/** sshkey_read: `type<space>base64`, the type a known key type name matching the blob. */
function readKey(s: string, pos: number): KeyRead {
  const rest = s.slice(pos);
  const space = rest.search(/[ \t]/);
  if (space < 0) return { error: 'invalid key' };
  const typeName = rest.slice(0, space);
  if (!KEY_TYPE_NAMES.has(typeName) && !typeName.endsWith('-cert-v01@openssh.com')) return { error: 'invalid key' };
  const blobType = KEY_TYPE_NAMES.get(typeName) ?? typeName;
  let i = space;
  while (i < rest.length && (rest[i] === ' ' || rest[i] === '\t')) i++;
  if (i === rest.length) return { error: 'invalid key' };
  let j = i;
  while (j < rest.length && rest[j] !== ' ' && rest[j] !== '\t') j++;
  // b64_pton skips whitespace (the line's own newline is part of this token).
  const b64 = [...rest.slice(i, j)].filter((c) => !isB64Space(c)).join('');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64) || b64.length === 0) {
    return { error: 'invalid key' };
  }
  let key: SshPublicKey;
  try {
    key = parsePublicKeyBlob(new Uint8Array(Buffer.from(b64, 'base64')));
  } catch (e) {
    if (e instanceof CountersignError && e.code === 'unsupported-algorithm') return { error: e.message, unsupported: true };
    if (e instanceof CountersignError) return { error: `invalid key (${e.message})` };
    throw e;
  }
  if (key.type !== blobType) return { error: `invalid key (the line says ${typeName} but the key is ${key.type})` };
  return { key, end: pos + j };
}

/** sshkey_advance_past_options: to the first unquoted space or tab. */
function advancePastOptions(s: string, pos: number): number | null {
  let quoted = false;
  let i = pos;
  for (; i < s.length && (quoted || (s[i] !== ' ' && s[i] !== '\t')); i++) {
    if (s[i] === '\\' && s[i + 1] === '"') i++;
    else if (s[i] === '"') quoted = !quoted;
  }
  if (i === s.length && quoted) return null;
  return i;
}

function startsWithCI(s: string, i: number, word: string): boolean {
  return s.slice(i, i + word.length).toLowerCase() === word;
}

/** opt_dequote: a double-quoted value where \" stands for a quote. */
function dequote(s: string, i: number): { value: string; next: number } {
  if (s[i] !== '"') throw new LineError('missing start quote');
  i++;
  let out = '';
  while (i < s.length && s[i] !== '"') {
    if (s[i] === '\\' && s[i + 1] === '"') i++;
    out += s[i++];
  }
  if (i >= s.length) throw new LineError('missing end quote');
  return { value: out, next: i + 1 };
}

/** What a line's options set. */
type Options = Pick<AllowedSigner, 'certAuthority' | 'namespaces' | 'validAfter' | 'validBefore'>;

/** sshsigopt_parse. */
function parseOptions(o: string): Options {
  const opts: Options = { certAuthority: false };
  let i = 0;
  while (i < o.length && o[i] !== ' ' && o[i] !== '\t') {
    if (startsWithCI(o, i, 'cert-authority')) {
      opts.certAuthority = true;
      i += 'cert-authority'.length;
    } else if (startsWithCI(o, i, 'namespaces=')) {
      if (opts.namespaces !== undefined) throw new LineError('multiple "namespaces" clauses');
      const d = dequote(o, i + 'namespaces='.length);
      opts.namespaces = d.value;
      i = d.next;
    } else if (startsWithCI(o, i, 'valid-after=') || startsWithCI(o, i, 'valid-before=')) {
      const after = startsWithCI(o, i, 'valid-after=');
      const name = after ? 'valid-after' : 'valid-before';
      if ((after ? opts.validAfter : opts.validBefore) !== undefined) throw new LineError(`multiple "${name}" clauses`);
      const d = dequote(o, i + name.length + 1);
      const t = parseAbsoluteTime(d.value);
      if (t === null || t === 0) {
        throw new LineError(`invalid "${name}" time ${JSON.stringify(d.value)} (use YYYYMMDD[HHMM[SS]] with an optional Z for UTC)`);
      }
      if (after) opts.validAfter = t;
      else opts.validBefore = t;
      i = d.next;
    }
    if (i >= o.length || o[i] === ' ' || o[i] === '\t') break;
    if (o[i] !== ',') {
      const name = o.slice(i).split(',')[0];
      throw new LineError(
        `unknown option ${JSON.stringify(name)} (OpenSSH allows only cert-authority, namespaces="…", valid-after="…", valid-before="…")`,
      );
    }
    i++;
    if (i >= o.length) throw new LineError('unexpected end of options');
  }
  if (opts.validAfter !== undefined && opts.validBefore !== undefined && opts.validBefore <= opts.validAfter) {
    throw new LineError('"valid-before" time is not after "valid-after"');
  }
  return opts;
}

/** parse_principals_key_and_options for one line; null for blank and comment lines. */
function parseLine(line: string, lineNo: number, source: string): AllowedSigner | null {
  let pos = 0;
  while (pos < line.length && WHITESPACE.includes(line[pos])) pos++;
  if (pos === line.length || line[pos] === '#') return null;
  const tok = strdelimw(line, pos);
  if (!tok || tok.next === null) throw new LineError('invalid line (expected: principals [options] keytype base64-key)');
  const principals = tok.token;
  let cp = tok.next;
  let optionText: string | undefined;
  let read = readKey(line, cp);
  if ('error' in read) {
    // Not a key here: this token is the options, and the key follows it.
    const firstError = read;
    const end = advancePastOptions(line, cp);
    if (end === null) throw new LineError('invalid options (unterminated quote)');
    if (end >= line.length) throw new LineError('missing key');
    optionText = line.slice(cp, end);
    cp = end + 1;
    while (cp < line.length && (line[cp] === ' ' || line[cp] === '\t')) cp++;
    read = readKey(line, cp);
    if ('error' in read) {
      // Report the more telling of the two failures (the key was most likely where we first looked).
      const e = read.unsupported ? read : firstError.unsupported || firstError.error !== 'invalid key' ? firstError : read;
      throw new LineError(e.error, e.unsupported ? 'unsupported-algorithm' : 'bad-allowed-signers');
    }
  }
  const opts = parseOptions(optionText ?? '');
  return { principals, key: read.key, ...opts, source, line: lineNo };
}

/** Splits like getline: each line keeps its newline (OpenSSH's tokeniser sees it). */
function splitLines(text: string): string[] {
  const lines = text.split('\n').map((l) => l + '\n');
  if (text.endsWith('\n') || text === '') lines.pop();
  else lines[lines.length - 1] = lines[lines.length - 1].slice(0, -1);
  return lines;
}

/**
 * Lenient parse: the entries OpenSSH would use, and the lines it would reject (and skip).
 * Use this to reproduce `ssh-keygen -Y verify` verdicts.
 */
export function parseAllowedSignersLenient(
  text: string,
  source = 'allowed_signers',
): { signers: AllowedSigner[]; problems: AllowedSignersProblem[] } {
  const signers: AllowedSigner[] = [];
  const problems: AllowedSignersProblem[] = [];
  splitLines(text).forEach((line, idx) => {
    try {
      const s = parseLine(line, idx + 1, source);
      if (s) signers.push(s);
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      problems.push({ line: idx + 1, message: `${source} line ${idx + 1}: ${e.message}`, code: e.code });
    }
  });
  return { signers, problems };
}

/**
 * Strict parse: throws CountersignError('bad-allowed-signers', "allowed_signers line N: …")
 * (or 'unsupported-algorithm' for a key type Countersign does not verify) on the first bad
 * line. Use it for files Countersign manages, where a typo should stop the show.
 */
export function parseAllowedSigners(text: string, source = 'allowed_signers'): AllowedSigner[] {
  const { signers, problems } = parseAllowedSignersLenient(text, source);
  if (problems.length > 0) throw new CountersignError(problems[0].code, problems[0].message);
  return signers;
}
