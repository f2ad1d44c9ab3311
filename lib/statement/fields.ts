import { CountersignError } from '../errors';

/** Field grammars shared by the review statement and the note line (README: "The review statement"). */
export const REPOSITORY_RE = /^[\x21-\x7e]{1,200}$/;
export const OBJECT_ID_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
export const VERDICT_RE = /^[a-z][a-z0-9-]{0,31}$/;
export const PRINCIPAL_RE = /^[A-Za-z0-9._%+@:\/=-]{1,254}$/;
export const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export const VERDICTS = ['approve'] as const;

function check(re: RegExp, value: string, what: string, hint: string): string {
  if (typeof value !== 'string' || !re.test(value)) {
    throw new CountersignError('bad-input', `${what} ${JSON.stringify(value)} is not valid: ${hint}`);
  }
  return value;
}

export const checkRepository = (v: string) =>
  check(REPOSITORY_RE, v, 'repository', 'use 1–200 printable ASCII characters without spaces');
export const checkObjectId = (v: string, what = 'commit id') =>
  check(OBJECT_ID_RE, v, what, 'expected a full lowercase hex object id (40 for SHA-1, 64 for SHA-256)');
export const checkVerdict = (v: string) =>
  check(VERDICT_RE, v, 'verdict', 'expected a lowercase word such as "approve"');
export const checkPrincipal = (v: string) =>
  check(PRINCIPAL_RE, v, 'signer identity', 'use letters, digits and . _ % + @ : / = - only (an e-mail address works)');
export function checkTime(v: string): string {
  check(TIME_RE, v, 'time', 'expected UTC as YYYY-MM-DDTHH:MM:SSZ');
  if (Number.isNaN(Date.parse(v)) || new Date(v).toISOString().replace(/\.\d{3}Z$/, 'Z') !== v) {
    throw new CountersignError('bad-input', `time ${JSON.stringify(v)} is not a real calendar time`);
  }
  return v;
}

/** The statement's time format: UTC, whole seconds. */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
