import { describe, expect, it } from 'vitest';
import { formatNoteLine } from '../../lib/notes/line';
import { noteLineTime } from '../../lib/ui/approval';

describe('the approval time shown right after approving', () => {
  it('is the time field of the note line the server wrote', () => {
    const line = formatNoteLine({ verdict: 'approve', signer: 'bob@example.org', time: '2026-01-02T03:04:05Z', signature: new Uint8Array([1, 2, 3]) });
    expect(noteLineTime(line)).toBe('2026-01-02T03:04:05Z');
  });

  it('is null for anything that is not a note line', () => {
    expect(noteLineTime('')).toBeNull();
    expect(noteLineTime('countersign-v1 approve bob@example.org yesterday AAAA')).toBeNull();
    expect(noteLineTime('other-v1 approve bob@example.org 2026-01-02T03:04:05Z AAAA')).toBeNull();
  });
});

describe('the approval time of a change approval (v2 line)', () => {
  it('is read from a countersign-v2 line, which carries the base before the signature', () => {
    const line = formatNoteLine({ verdict: 'approve', signer: 'bob@example.org', time: '2026-01-02T03:04:05Z', base: 'b'.repeat(40), signature: new Uint8Array([1, 2, 3]) });
    expect(line.startsWith('countersign-v2 ')).toBe(true);
    expect(noteLineTime(line)).toBe('2026-01-02T03:04:05Z');
  });
});
