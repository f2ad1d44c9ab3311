import { CountersignError } from '../errors';
import { REPOSITORY_RE } from '../statement/fields';
import { DEFAULT_NAMESPACE } from '../statement/statement';

/**
 * `.countersign/policy.json`: what a commit needs before the gate lets it through.
 *
 * Only `repository` and `threshold` are required. Every default is the *stricter* choice, and an
 * unknown key is an error rather than ignored: a typo such as `"requireUserVerificaton": false` must
 * not silently leave a weaker policy in force than the one its author meant to write.
 */
export interface Policy {
  /** The repository name written into every review statement (so a signature cannot be replayed across repositories). */
  repository: string;
  /** Distinct trusted signers needed. */
  threshold: number;
  /** SSHSIG namespace the statements are signed under. Never `git`. */
  namespace: string;
  /**
   * Default true: an approval is a second pair of eyes, so the change's authors and committers (as
   * the commits name them) do not count toward it; with requireSignedCommits, nor do the verified
   * commit signers.
   */
  excludeAuthor: boolean;
  /**
   * Default false. When true, every commit of the change must carry an SSH commit signature
   * (namespace `git`) by a key in the trusted allowed_signers, or the gate fails; the signer is then
   * excluded (with excludeAuthor), which an author field that anyone sets freely cannot dodge.
   */
  requireSignedCommits: boolean;
  /**
   * Default true. Applies to passkey / security-key signatures only (webauthn-sk-*, sk-*): plain
   * ssh-ed25519 and ecdsa keys carry no flags, so for them there is nothing to require.
   */
  requireUserVerification: boolean;
  /** Default true; passkey / security-key signatures only, as above. */
  requireUserPresence: boolean;
  /**
   * A passkey or security key counts only when its application (the WebAuthn RP ID, or "ssh:…"
   * for a key made by ssh-keygen) is one of these. null (left out): no passkey counts at all.
   */
  rpIds: string[] | null;
  /**
   * A WebAuthn (passkey) signature counts only when its origin is one of these (stock ssh-keygen
   * compares it with nothing). null (left out): no passkey counts at all.
   */
  origins: string[] | null;
  /** Where the note lines live. */
  notesRef: string;
}

export const POLICY_PATH = '.countersign/policy.json';
export const ALLOWED_SIGNERS_PATH = '.countersign/allowed_signers';
export const DEFAULT_NOTES_REF = 'refs/notes/countersign';

export const POLICY_DEFAULTS = {
  namespace: DEFAULT_NAMESPACE,
  excludeAuthor: true,
  requireSignedCommits: false,
  requireUserVerification: true,
  requireUserPresence: true,
  rpIds: null,
  origins: null,
  notesRef: DEFAULT_NOTES_REF,
} as const satisfies Omit<Policy, 'repository' | 'threshold'>;

const KNOWN_KEYS = ['repository', 'threshold', ...Object.keys(POLICY_DEFAULTS)];

/** ssh-keygen accepts any non-empty namespace; we keep to a conservative alphabet so it is safe in shells and file names. */
const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9@._+-]{0,127}$/;
const NOTES_REF_RE = /^refs\/notes\/[A-Za-z0-9][A-Za-z0-9._\/-]{0,199}$/;
/** A DNS name as WebAuthn RP IDs are (lowercase; `localhost` included). */
const RP_ID_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** The application of a FIDO key made by `ssh-keygen -t ecdsa-sk` (default "ssh:"), listed in rpIds like an RP ID. */
const SSH_APPLICATION_RE = /^ssh:[\x21-\x7e]{0,250}$/;
export const MAX_THRESHOLD = 1000;

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Parses and validates policy.json; throws CountersignError('bad-policy') naming the file and the field. */
export function parsePolicy(jsonText: string, source: string = POLICY_PATH): Policy {
  const fail = (msg: string): never => {
    throw new CountersignError('bad-policy', `${source}: ${msg}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(jsonText);
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail('expected a JSON object');
  const obj = raw as Record<string, unknown>;

  const unknown = Object.keys(obj).filter((k) => !KNOWN_KEYS.includes(k));
  if (unknown.length) {
    fail(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${KNOWN_KEYS.join(', ')}); a misspelt option must not silently weaken the policy`);
  }

  const repository = obj.repository;
  if (typeof repository !== 'string' || !REPOSITORY_RE.test(repository)) {
    fail(`"repository" must be 1–200 printable ASCII characters without spaces (got ${describe(repository)})`);
  }
  const threshold = obj.threshold;
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1 || threshold > MAX_THRESHOLD) {
    fail(`"threshold" must be a whole number from 1 to ${MAX_THRESHOLD} (got ${describe(threshold)})`);
  }

  const bool = (key: 'excludeAuthor' | 'requireSignedCommits' | 'requireUserVerification' | 'requireUserPresence'): boolean => {
    const v = obj[key];
    if (v === undefined) return POLICY_DEFAULTS[key];
    if (typeof v !== 'boolean') fail(`"${key}" must be true or false (got ${describe(v)})`);
    return v as boolean;
  };

  const list = (key: 'rpIds' | 'origins', check: (s: string) => boolean, what: string): string[] | null => {
    const v = obj[key];
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v) || v.length === 0) {
      fail(`"${key}" must be a non-empty array of ${what}, or left out (then no passkey counts) (got ${describe(v)})`);
    }
    for (const item of v as unknown[]) {
      if (typeof item !== 'string' || !check(item)) fail(`"${key}" entry ${describe(item)} is not ${what.replace(/s$/, '')}`);
    }
    return [...new Set(v as string[])];
  };

  const namespace = obj.namespace === undefined ? POLICY_DEFAULTS.namespace : obj.namespace;
  if (typeof namespace !== 'string' || !NAMESPACE_RE.test(namespace)) {
    fail(`"namespace" must be a word such as ${JSON.stringify(DEFAULT_NAMESPACE)} (got ${describe(namespace)})`);
  }
  if (namespace === 'git' || namespace === 'file') {
    fail(`"namespace" must not be ${JSON.stringify(namespace)}: an approval must never pass for a commit or file signature`);
  }

  const notesRef = obj.notesRef === undefined ? POLICY_DEFAULTS.notesRef : obj.notesRef;
  if (typeof notesRef !== 'string' || !NOTES_REF_RE.test(notesRef) || notesRef.includes('..') || notesRef.endsWith('/') || notesRef.endsWith('.lock')) {
    fail(`"notesRef" must be a ref under refs/notes/, such as ${JSON.stringify(DEFAULT_NOTES_REF)} (got ${describe(notesRef)})`);
  }

  return {
    repository: repository as string,
    threshold: threshold as number,
    namespace: namespace as string,
    excludeAuthor: bool('excludeAuthor'),
    requireSignedCommits: bool('requireSignedCommits'),
    requireUserVerification: bool('requireUserVerification'),
    requireUserPresence: bool('requireUserPresence'),
    rpIds: list('rpIds', (s) => RP_ID_RE.test(s) || SSH_APPLICATION_RE.test(s), 'RP IDs (host names such as "sign.example.org", or "ssh:" for a security key made with ssh-keygen)'),
    origins: list('origins', isOrigin, 'origins (such as "https://sign.example.org")'),
    notesRef: notesRef as string,
  };
}

/** An origin as a browser writes it into clientDataJSON: scheme://host[:port], nothing after. */
function isOrigin(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s;
  } catch {
    return false;
  }
}

/** The canonical JSON for a policy (what `countersign init`-like tooling and tests write). */
export function formatPolicy(p: Partial<Policy> & Pick<Policy, 'repository' | 'threshold'>): string {
  return JSON.stringify(p, null, 2) + '\n';
}
