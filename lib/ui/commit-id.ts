/**
 * Presenting object ids so that two people (or two screens) can compare them by eye:
 * fixed-size groups read like a phone number, and a short id for lists.
 */

const HEX_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** True for a full lowercase SHA-1 (40) or SHA-256 (64) object id. */
export function isFullObjectId(s: string): boolean {
  return HEX_ID.test(s);
}

/** Splits an id into groups of `size` characters (the last group may be shorter). */
export function groupId(id: string, size = 4): string[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('group size must be a positive integer');
  const groups: string[] = [];
  for (let i = 0; i < id.length; i += size) groups.push(id.slice(i, i + size));
  return groups;
}

/** The abbreviated id used in lists and links (git's default is 7; 12 keeps collisions out of reach). */
export function shortId(id: string, length = 12): string {
  return id.slice(0, length);
}

/**
 * The path of a review page. Each segment is percent-encoded on its own, so a repository
 * name with a slash ("team/app") stays one segment.
 */
export function reviewPath(repo: string, commit: string): string {
  return `/r/${encodeURIComponent(repo)}/${encodeURIComponent(commit)}`;
}

/**
 * Reads a route segment back. Next hands dynamic params over still percent-encoded in some
 * cases and decoded in others; decoding is only applied when the text is valid encoding,
 * so a literal "%" in a name that was already decoded survives.
 */
export function decodeSegment(segment: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(segment)) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** What a `from` (the branch a base was taken from) may look like in a link; anything else is dropped. */
export const BRANCH_TEXT_RE = /^[A-Za-z0-9._/-]{1,200}$/;

/**
 * The path of a change's review page: head and base as full ids (what is signed), plus the branch
 * the base was taken from as text for the reader (`from`), if any.
 */
export function changePath(repo: string, head: string, base: string, from?: string | null): string {
  const q = new URLSearchParams({ base });
  if (from && BRANCH_TEXT_RE.test(from)) q.set('from', from);
  return `${reviewPath(repo, head)}?${q.toString()}`;
}
