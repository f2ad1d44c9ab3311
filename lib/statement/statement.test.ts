import { describe, expect, it } from 'vitest';
import { parseStatement, serializeStatement, type ReviewStatement } from './statement';

const v1: ReviewStatement = {
  repository: 'github.com/example/project',
  commit: 'a'.repeat(40),
  tree: 'b'.repeat(40),
  verdict: 'approve',
  signer: 'alice@example.org',
  time: '2026-11-30T12:00:00Z',
};
const v2: ReviewStatement = { ...v1, base: 'c'.repeat(40) };

describe('the review statement', () => {
  it('v1 (one commit) is seven LF-terminated lines in fixed order', () => {
    expect(serializeStatement(v1)).toBe(
      'countersign review statement v1\n' +
        'repository: github.com/example/project\n' +
        `commit: ${'a'.repeat(40)}\n` +
        `tree: ${'b'.repeat(40)}\n` +
        'verdict: approve\n' +
        'signer: alice@example.org\n' +
        'time: 2026-11-30T12:00:00Z\n',
    );
  });

  it('v2 (a change) adds the base after the tree', () => {
    expect(serializeStatement(v2)).toBe(
      'countersign review statement v2\n' +
        'repository: github.com/example/project\n' +
        `commit: ${'a'.repeat(40)}\n` +
        `tree: ${'b'.repeat(40)}\n` +
        `base: ${'c'.repeat(40)}\n` +
        'verdict: approve\n' +
        'signer: alice@example.org\n' +
        'time: 2026-11-30T12:00:00Z\n',
    );
  });

  it('parses both versions back to the same fields', () => {
    expect(parseStatement(serializeStatement(v1))).toEqual(v1);
    expect(parseStatement(serializeStatement(v2))).toEqual(v2);
  });

  it('refuses a v1 header over v2 fields and a v2 header over v1 fields', () => {
    const asV1 = serializeStatement(v2).replace(' v2\n', ' v1\n');
    const asV2 = serializeStatement(v1).replace(' v1\n', ' v2\n');
    expect(() => parseStatement(asV1)).toThrow(/wrong header or line count/);
    expect(() => parseStatement(asV2)).toThrow(/wrong header or line count/);
  });

  it('refuses a base that is not a full id, or of another object format than the commit', () => {
    expect(() => serializeStatement({ ...v2, base: 'c'.repeat(12) })).toThrow(/base commit id/);
    expect(() => serializeStatement({ ...v2, base: 'c'.repeat(64) })).toThrow(/different object formats/);
    expect(() => parseStatement(serializeStatement(v2).replace('base: ccc', 'base: CCC'))).toThrow(/base commit id/);
  });

  it('refuses anything that would not re-serialize to the same bytes', () => {
    const text = serializeStatement(v2);
    expect(() => parseStatement(text.replace('\n', '\r\n'))).toThrow();
    expect(() => parseStatement(text + '\n')).toThrow();
    expect(() => parseStatement(text.replace('base: ', 'base:  '))).toThrow();
  });
});
