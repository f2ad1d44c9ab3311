/**
 * The line set algebra of `git notes merge -s cat_sort_uniq`, so that what we write locally
 * and what a merge produces are byte-identical: split on LF, drop empty lines, sort by bytes,
 * remove duplicates, end every line with LF.
 *
 * Lines are handled as latin1 strings: one char per byte, so bytes other tools put in the note
 * (even invalid UTF-8) survive untouched, and string order equals byte order.
 */
export function noteLineSet(content: Buffer | string): string[] {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return bytes.toString('latin1').split('\n').filter((l) => l.length > 0);
}

/** Sorted, de-duplicated union of line sets (byte order, as git's strcmp). */
export function unionLines(...sets: string[][]): string[] {
  const all = new Set<string>();
  for (const s of sets) for (const l of s) all.add(l);
  return [...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The note blob for a line set: every line followed by LF. */
export function noteContent(lines: string[]): Buffer {
  return Buffer.from(lines.map((l) => l + '\n').join(''), 'latin1');
}

/** Our note lines are ASCII; a UTF-8 caller string becomes the latin1 form used above. */
export function toLatin1Line(line: string): string {
  return Buffer.from(line, 'utf8').toString('latin1');
}
