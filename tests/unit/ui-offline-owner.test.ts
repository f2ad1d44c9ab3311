/**
 * The offline copy belongs to one user and lives no longer than their session could: the rules
 * (lib/ui/offline-cache.ts) that decide, before a save and before showing anything, whether what
 * is stored may stay. The browser path (sign-out, 401, another user) is in tests/e2e/offline-owner.spec.ts.
 */
import { describe, expect, it } from 'vitest';
import { claimFor, OFFLINE_MAX_AGE_MS, readable, type CacheOwner } from '../../lib/ui/offline-cache';

const now = new Date('2026-12-01T12:00:00Z');
const owner = (userId: string, validUntil: Date): CacheOwner => ({ key: 'owner', userId, validUntil: validUntil.toISOString() });
const later = new Date(now.getTime() + 1000);

describe('before a user saves', () => {
  it("another user's copy is dropped first", () => {
    expect(claimFor(owner('ann', later), 'ben', now).clear).toBe(true);
  });
  it('their own valid copy stays, and its life is extended by a session lifetime', () => {
    const c = claimFor(owner('ann', later), 'ann', now);
    expect(c.clear).toBe(false);
    expect(c.owner).toEqual({ key: 'owner', userId: 'ann', validUntil: new Date(now.getTime() + OFFLINE_MAX_AGE_MS).toISOString() });
  });
  it('an expired copy is dropped even for the same user', () => {
    expect(claimFor(owner('ann', new Date(now.getTime() - 1)), 'ann', now).clear).toBe(true);
  });
  it('nothing stored: nothing to drop', () => {
    expect(claimFor(undefined, 'ann', now).clear).toBe(false);
  });
});

describe('what may be shown offline', () => {
  it("only the owner's records, while the copy is valid", () => {
    expect(readable(owner('ann', later), { userId: 'ann' }, now)).toBe(true);
    expect(readable(owner('ann', later), { userId: 'ben' }, now)).toBe(false);
    expect(readable(owner('ann', now), { userId: 'ann' }, now)).toBe(false);
  });
  it('records without an owner (saved before copies had one) are never shown', () => {
    expect(readable(undefined, { userId: 'ann' }, now)).toBe(false);
    expect(readable(owner('ann', later), {}, now)).toBe(false);
  });
});
