import { describe, expect, it } from 'vitest';
import { serializeStatement } from '../statement/statement';
import { formatNoteLine, isOurLine, lineBase, noteLines, parseNoteLine, statementFor } from './line';

const sig = new Uint8Array([0x53, 0x53, 0x48, 0x53, 0x49, 0x47]);
const fields = { verdict: 'approve', signer: 'alice@example.org', time: '2026-11-30T12:00:00Z', signature: sig };
const base = 'c'.repeat(40);

describe('the note line', () => {
  it('v1: tag, verdict, signer, time, base64 SSHSIG', () => {
    expect(formatNoteLine(fields)).toBe('countersign-v1 approve alice@example.org 2026-11-30T12:00:00Z U1NIU0lH');
  });

  it('v2: the base sits between the time and the signature', () => {
    expect(formatNoteLine({ ...fields, base })).toBe(`countersign-v2 approve alice@example.org 2026-11-30T12:00:00Z ${base} U1NIU0lH`);
  });

  it('parses both versions back', () => {
    expect(parseNoteLine(formatNoteLine(fields))).toEqual(fields);
    expect(parseNoteLine(formatNoteLine({ ...fields, base }))).toEqual({ ...fields, base });
  });

  it('refuses a v2 line without its base, a v1 line with one, and a short base', () => {
    expect(() => parseNoteLine(`countersign-v2 approve alice@example.org 2026-11-30T12:00:00Z U1NIU0lH`)).toThrow(/5 fields, expected 6/);
    expect(() => parseNoteLine(`countersign-v1 approve alice@example.org 2026-11-30T12:00:00Z ${base} U1NIU0lH`)).toThrow(/6 fields, expected 5/);
    expect(() => parseNoteLine(`countersign-v2 approve alice@example.org 2026-11-30T12:00:00Z ${base.slice(0, 12)} U1NIU0lH`)).toThrow(/base commit id/);
    expect(() => formatNoteLine({ ...fields, base: 'HEAD' })).toThrow(/base commit id/);
  });

  it('a note keeps our lines of both versions and skips other tools\' lines', () => {
    const v1 = formatNoteLine(fields);
    const v2 = formatNoteLine({ ...fields, base });
    expect(noteLines(`${v1}\nReviewed-by: someone\n${v2}\r\ncountersign-v3 x\n\n`)).toEqual([v1, v2]);
    expect(isOurLine('countersign-v2')).toBe(true);
    expect(isOurLine('countersign-v20 x')).toBe(false);
  });

  it('the statement rebuilt from a v2 line carries its base; from a v1 line it is v1', () => {
    const ctx = { repository: 'demo', commit: 'a'.repeat(40), tree: 'b'.repeat(40) };
    expect(serializeStatement(statementFor(parseNoteLine(formatNoteLine({ ...fields, base })), ctx))).toContain(`\nbase: ${base}\n`);
    expect(serializeStatement(statementFor(parseNoteLine(formatNoteLine(fields)), ctx)).startsWith('countersign review statement v1\n')).toBe(true);
  });

  it("a v1 line's base is the commit's first parent (none for a root commit); a v2 line's is its own", () => {
    expect(lineBase({}, 'd'.repeat(40))).toBe('d'.repeat(40));
    expect(lineBase({}, null)).toBeNull();
    expect(lineBase({ base }, 'd'.repeat(40))).toBe(base);
  });
});
