import { describe, expect, it } from 'vitest';
import { decodeSegment, groupId, isFullObjectId, reviewPath, shortId } from '../../lib/ui/commit-id';

const SHA1 = '3f786850e387550fdab836ed7e6dc881de23001b';
const SHA256 = 'a3f1c0de'.repeat(8);

describe('commit ids for humans', () => {
  it('groups a SHA-1 id into ten blocks of four that join back to the id', () => {
    const g = groupId(SHA1);
    expect(g).toHaveLength(10);
    expect(g.every((b) => b.length === 4)).toBe(true);
    expect(g[0]).toBe('3f78');
    expect(g.join('')).toBe(SHA1);
  });

  it('groups a SHA-256 id into sixteen blocks', () => {
    expect(groupId(SHA256)).toHaveLength(16);
  });

  it('leaves a shorter last group when the length is not a multiple', () => {
    expect(groupId('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('refuses a group size that is not a positive integer', () => {
    expect(() => groupId(SHA1, 0)).toThrow(RangeError);
    expect(() => groupId(SHA1, 1.5)).toThrow(RangeError);
  });

  it('recognises full lowercase ids only', () => {
    expect(isFullObjectId(SHA1)).toBe(true);
    expect(isFullObjectId(SHA256)).toBe(true);
    expect(isFullObjectId(SHA1.toUpperCase())).toBe(false);
    expect(isFullObjectId(SHA1.slice(0, 12))).toBe(false);
  });

  it('abbreviates to 12 characters by default', () => {
    expect(shortId(SHA1)).toBe('3f786850e387');
    expect(shortId(SHA1, 7)).toBe('3f78685');
  });

  it('builds review paths with each segment encoded on its own', () => {
    expect(reviewPath('demo', SHA1)).toBe(`/r/demo/${SHA1}`);
    expect(reviewPath('team/app', SHA1)).toBe(`/r/team%2Fapp/${SHA1}`);
    expect(reviewPath('a%b', SHA1)).toBe(`/r/a%25b/${SHA1}`);
  });

  it('decodes route segments that are still encoded, and leaves others alone', () => {
    expect(decodeSegment('team%2Fapp')).toBe('team/app');
    expect(decodeSegment('demo')).toBe('demo');
    expect(decodeSegment('100%')).toBe('100%');
    expect(decodeSegment('%E0%A4%A')).toBe('%E0%A4%A');
  });
});
