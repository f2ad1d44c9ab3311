import { CountersignError } from '../errors';
import { checkObjectId, checkPrincipal, checkTime, checkVerdict } from '../statement/fields';
import type { ReviewStatement } from '../statement/statement';

/**
 * One signature per note line, so `git notes merge -s cat_sort_uniq` is a lossless set union:
 *
 *   countersign-v1 SP verdict SP signer SP time SP base64(SSHSIG binary)
 *   countersign-v2 SP verdict SP signer SP time SP base SP base64(SSHSIG binary)
 *
 * v1 approves the annotated commit alone; v2 approves the change from `base` to the annotated
 * commit (its head). The commit and tree come from the annotated commit and the repository from
 * the trusted policy, so a line copied onto another commit or into another repository no longer
 * verifies; the base is in the line because only the signer knows which base they were shown.
 */
export const NOTE_LINE_TAG = 'countersign-v1';
export const NOTE_LINE_TAG_V2 = 'countersign-v2';
const TAGS = [NOTE_LINE_TAG, NOTE_LINE_TAG_V2];
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A generous bound: a passkey signature with a long clientDataJSON is well under 2 KiB. */
export const MAX_NOTE_LINE = 16 * 1024;

export interface NoteLine {
  verdict: string;
  signer: string;
  time: string;
  /** v2 only: the commit the change was reviewed against. */
  base?: string;
  /** The SSHSIG signature, binary (what sits between the armor lines, decoded). */
  signature: Uint8Array;
}

export function formatNoteLine(n: NoteLine): string {
  checkVerdict(n.verdict);
  checkPrincipal(n.signer);
  checkTime(n.time);
  if (n.base !== undefined) checkObjectId(n.base, 'base commit id');
  if (!(n.signature instanceof Uint8Array) || n.signature.length === 0) {
    throw new CountersignError('bad-note-line', 'a note line needs a non-empty signature');
  }
  const sig = Buffer.from(n.signature).toString('base64');
  return n.base === undefined
    ? [NOTE_LINE_TAG, n.verdict, n.signer, n.time, sig].join(' ')
    : [NOTE_LINE_TAG_V2, n.verdict, n.signer, n.time, n.base, sig].join(' ');
}

export function parseNoteLine(line: string): NoteLine {
  if (line.length > MAX_NOTE_LINE) throw new CountersignError('bad-note-line', `note line is longer than ${MAX_NOTE_LINE} bytes`);
  const parts = line.split(' ');
  const v2 = parts[0] === NOTE_LINE_TAG_V2;
  if (!v2 && parts[0] !== NOTE_LINE_TAG) {
    throw new CountersignError('bad-note-line', `note line does not start with "${NOTE_LINE_TAG}" or "${NOTE_LINE_TAG_V2}"`);
  }
  const expected = v2 ? 6 : 5;
  if (parts.length !== expected) {
    throw new CountersignError('bad-note-line', `${parts[0]} note line has ${parts.length} fields, expected ${expected} separated by single spaces`);
  }
  const [, verdict, signer, time] = parts;
  const base = v2 ? parts[4] : undefined;
  const b64 = parts[expected - 1];
  try {
    checkVerdict(verdict);
    checkPrincipal(signer);
    checkTime(time);
    if (base !== undefined) checkObjectId(base, 'base commit id');
  } catch (e) {
    throw new CountersignError('bad-note-line', (e as Error).message);
  }
  if (!b64 || !BASE64_RE.test(b64)) throw new CountersignError('bad-note-line', 'note line signature is not canonical base64');
  return { verdict, signer, time, ...(base !== undefined ? { base } : {}), signature: new Uint8Array(Buffer.from(b64, 'base64')) };
}

/** True for a line of ours (any version), whether or not it parses. */
export function isOurLine(line: string): boolean {
  return TAGS.some((t) => line === t || line.startsWith(t + ' '));
}

/** The note body holds other tools' lines too; only ours are parsed, blank lines skipped. */
export function noteLines(noteText: string): string[] {
  return noteText.split('\n').map((l) => l.replace(/\r$/, '')).filter(isOurLine);
}

/**
 * The base a line approves its commit against: the one it names (v2), else the commit's first
 * parent (v1; null for a root commit, whose change is its whole tree).
 */
export function lineBase(line: Pick<NoteLine, 'base'>, firstParent: string | null): string | null {
  return line.base ?? firstParent;
}

export function statementFor(line: NoteLine, ctx: { repository: string; commit: string; tree: string }): ReviewStatement {
  return {
    repository: ctx.repository,
    commit: ctx.commit,
    tree: ctx.tree,
    ...(line.base !== undefined ? { base: line.base } : {}),
    verdict: line.verdict,
    signer: line.signer,
    time: line.time,
  };
}
