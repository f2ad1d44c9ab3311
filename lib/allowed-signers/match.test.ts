import { describe, expect, it } from 'vitest';
import { matchPattern, matchPatternList } from './match';

describe('OpenSSH pattern matching (match.c)', () => {
  it.each([
    ['alice@example.org', 'alice@example.org', true],
    ['alice@example.org', '*@example.org', true],
    ['alice@example.org', '*', true],
    ['alice@example.org', 'a*e@*.org', true],
    ['alice@example.org', 'alic?@example.org', true],
    ['alice@example.org', 'alic?', false],
    ['alice@example.org', 'Alice@example.org', false],
    ['', '', true],
    ['', '*', true],
    ['a', '', false],
    ['aaa', '*a*a*a*', true],
    ['aa', '*a*a*a*', false],
    ['x.y', '*?y', true],
  ])('%j against %j: %s', (s, p, want) => {
    expect(matchPattern(s, p)).toBe(want);
  });

  it('lists: any positive match wins unless a negated pattern matches', () => {
    expect(matchPatternList('alice@example.org', 'bob@example.org,alice@example.org')).toBe(1);
    expect(matchPatternList('alice@example.org', 'bob@example.org')).toBe(0);
    expect(matchPatternList('mallory@example.org', '*@example.org,!mallory@example.org')).toBe(-1);
    expect(matchPatternList('mallory@example.org', '!mallory@example.org,*@example.org')).toBe(-1);
    expect(matchPatternList('alice@example.org', '!mallory@example.org')).toBe(0); // negation alone grants nothing
    expect(matchPatternList('countersign-review@countersign.dev', 'git,countersign-*')).toBe(1);
    expect(matchPatternList('git', '')).toBe(0);
  });

  it('treats a sub-pattern of 1023 bytes or more as no match, as OpenSSH does', () => {
    const long = 'a'.repeat(1023);
    expect(matchPatternList(long, long)).toBe(0);
    expect(matchPatternList('a'.repeat(1022), 'a'.repeat(1022))).toBe(1);
  });
});
