import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, plural, policySummary, relativeTime } from '../../lib/ui/format';

const NOW = new Date('2025-11-24T18:00:00Z');

describe('formatting for the pages', () => {
  it('writes absolute times in UTC and says so', () => {
    expect(formatDateTime('2025-11-24T18:03:59Z')).toBe('2025-11-24 18:03 UTC');
    expect(formatDateTime('2025-11-24T20:03:00+02:00')).toBe('2025-11-24 18:03 UTC');
    expect(formatDate('2025-11-24T18:03:59Z')).toBe('2025-11-24');
  });

  it('shows a dash for missing times and the raw text for unparseable ones', () => {
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('yesterday-ish')).toBe('yesterday-ish');
  });

  it('writes recent times relative to now', () => {
    expect(relativeTime('2025-11-24T17:59:30Z', NOW)).toBe('just now');
    expect(relativeTime('2025-11-24T17:55:00Z', NOW)).toBe('5 min ago');
    expect(relativeTime('2025-11-24T15:00:00Z', NOW)).toBe('3 h ago');
    expect(relativeTime('2025-11-23T12:00:00Z', NOW)).toBe('yesterday');
    expect(relativeTime('2025-11-20T12:00:00Z', NOW)).toBe('4 days ago');
    expect(relativeTime('2025-01-02T12:00:00Z', NOW)).toBe('2025-01-02');
    expect(relativeTime(null, NOW)).toBe('never');
    expect(relativeTime('2025-11-25T00:00:00Z', NOW)).toBe('just now');
  });

  it('pluralises counts', () => {
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(3, 'file')).toBe('3 files');
    expect(plural(1204, 'line')).toBe('1,204 lines');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });

  it('summarises the policy as count against threshold, agreeing with the server verdict', () => {
    expect(policySummary(2, 2, true)).toBe('2 of 2 approvals — policy met');
    expect(policySummary(1, 2, false)).toBe('1 of 2 approvals — needs 1 more');
    expect(policySummary(0, 1, false)).toBe('0 of 1 approval — needs 1 more');
    expect(policySummary(2, 2, false)).toBe('2 of 2 approvals — policy not met');
  });
});
