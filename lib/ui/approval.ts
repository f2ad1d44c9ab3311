import { TIME_RE } from '../statement/fields';

/**
 * The signing time of a note line (`countersign-v1 <verdict> <signer> <time> <signature>`, or
 * `countersign-v2 <verdict> <signer> <time> <base> <signature>`), for
 * showing "You approved this commit at …" right after approving; null for anything else.
 */
export function noteLineTime(line: string): string | null {
  const parts = line.split(' ');
  const wellFormed = (parts[0] === 'countersign-v1' && parts.length === 5) || (parts[0] === 'countersign-v2' && parts.length === 6);
  return wellFormed && TIME_RE.test(parts[3]) ? parts[3] : null;
}
