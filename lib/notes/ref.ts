import { createHash } from 'node:crypto';
import { CountersignError } from '../errors';

export const DEFAULT_NOTES_REF = 'refs/notes/countersign';

/** A notes ref we are willing to write: under refs/notes/, plain ref-name characters only. */
export function checkNotesRef(ref: string): string {
  const ok =
    typeof ref === 'string' &&
    /^refs\/notes\/[A-Za-z0-9][A-Za-z0-9._\/-]*$/.test(ref) &&
    ref.length <= 200 &&
    !ref.includes('..') &&
    !ref.includes('//') &&
    !ref.includes('/.') &&
    !ref.endsWith('/') &&
    !ref.endsWith('.') &&
    !ref.endsWith('.lock');
  if (!ok) {
    throw new CountersignError('bad-input', `notes ref ${JSON.stringify(ref)} is not valid: use a full ref name such as ${DEFAULT_NOTES_REF}`);
  }
  return ref;
}

/** Remote names, URLs and paths are all fine, as long as git cannot read them as an option. */
export function checkRemote(remote: string): string {
  if (typeof remote !== 'string' || remote.length === 0 || remote.startsWith('-') || /[\0\n\r]/.test(remote)) {
    throw new CountersignError('bad-input', `remote ${JSON.stringify(remote)} is not valid: name a configured remote (e.g. origin) or a URL`);
  }
  return remote;
}

/**
 * Where the remote's notes are fetched to (forced): never the live ref, which may hold lines
 * not pushed yet. A configured remote name is used as is; a URL or path by its hash.
 */
export function sideRefFor(notesRef: string, remote: string): string {
  const key = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(remote)
    ? remote
    : 'url-' + createHash('sha256').update(remote).digest('hex').slice(0, 16);
  return `${notesRef}-incoming/${key}`;
}
