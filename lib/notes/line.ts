import { CountersignError } from '../errors';
import { checkPrincipal, checkTime, checkVerdict } from '../statement/fields';
import type { ReviewStatement } from '../statement/statement';

/**
 * One signature per note line, so `git notes merge -s cat_sort_uniq` is a lossless set union:
 *
 *   countersign-v1 SP verdict SP signer SP time SP base64(SSHSIG binary)
 *
 * The commit and tree come from the annotated commit and the repository from the trusted policy,
 * so a line copied onto another commit or into another repository no longer verifies.
 */
export const NOTE_LINE_TAG = 'countersign-v1';
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A generous bound: a passkey signature with a long clientDataJSON is well under 2 KiB. */
export const MAX_NOTE_LINE = 16 * 1024;

export interface NoteLine {
  verdict: string;
  signer: string;
  time: string;
  /** The SSHSIG signature, binary (what sits between the armor lines, decoded). */
  signature: Uint8Array;
}

export function formatNoteLine(n: NoteLine): string {
  checkVerdict(n.verdict);
  checkPrincipal(n.signer);
  checkTime(n.time);
  if (!(n.signature instanceof Uint8Array) || n.signature.length === 0) {
    throw new CountersignError('bad-note-line', 'a note line needs a non-empty signature');
  }
  return [NOTE_LINE_TAG, n.verdict, n.signer, n.time, Buffer.from(n.signature).toString('base64')].join(' ');
}

export function parseNoteLine(line: string): NoteLine {
  if (line.length > MAX_NOTE_LINE) throw new CountersignError('bad-note-line', `note line is longer than ${MAX_NOTE_LINE} bytes`);
  const parts = line.split(' ');
  if (parts[0] !== NOTE_LINE_TAG) {
    throw new CountersignError('bad-note-line', `note line does not start with "${NOTE_LINE_TAG}"`);
  }
  if (parts.length !== 5) {
    throw new CountersignError('bad-note-line', `note line has ${parts.length} fields, expected 5 separated by single spaces`);
  }
  const [, verdict, signer, time, b64] = parts;
  try {
    checkVerdict(verdict);
    checkPrincipal(signer);
    checkTime(time);
  } catch (e) {
    throw new CountersignError('bad-note-line', (e as Error).message);
  }
  if (!b64 || !BASE64_RE.test(b64)) throw new CountersignError('bad-note-line', 'note line signature is not canonical base64');
  return { verdict, signer, time, signature: new Uint8Array(Buffer.from(b64, 'base64')) };
}

/** The note body holds other tools' lines too; only ours are parsed, blank lines skipped. */
export function noteLines(noteText: string): string[] {
  return noteText.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.startsWith(NOTE_LINE_TAG + ' ') || l === NOTE_LINE_TAG);
}

export function statementFor(line: NoteLine, ctx: { repository: string; commit: string; tree: string }): ReviewStatement {
  return { repository: ctx.repository, commit: ctx.commit, tree: ctx.tree, verdict: line.verdict, signer: line.signer, time: line.time };
}
