/**
 * "Your signatures" on the devices page: every note line made by one of your passkeys, read from
 * the notes (so a signature you did not mean to make shows up), newest first, with the device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signaturesOf } from '../../lib/server/my-signatures';
import { revokeDevice } from '../../lib/auth/devices';
import { approve, enroll, startHarness, type Enrolled, type Harness } from './app-harness';

let h: Harness;
let bob: Enrolled;
let ann: Enrolled;
beforeAll(async () => {
  h = await startHarness();
  bob = await enroll(h.app, 'bob@example.org');
  ann = await enroll(h.app, 'ann@example.org');
});
afterAll(async () => {
  await h?.close();
});

describe("a user's own signatures", () => {
  it('lists each line signed by their passkeys, newest first, and nobody else’s', async () => {
    expect(await signaturesOf(h.app, bob.user)).toEqual({ items: [], total: 0 });
    const first = await approve(h.app, bob.user, bob.passkey, h.commits[2]);
    await new Promise((r) => setTimeout(r, 1100)); // distinct signing times (whole seconds)
    const second = await approve(h.app, bob.user, bob.passkey, h.commits[3]);
    await approve(h.app, ann.user, ann.passkey, h.commits[3]);
    const mine = await signaturesOf(h.app, bob.user);
    expect(mine.total).toBe(2);
    expect(mine.items.map((s) => s.commit)).toEqual([h.commits[3], h.commits[2]]);
    expect(mine.items[0]).toMatchObject({ repo: 'demo', verdict: 'approve', device: 'Passkey', fingerprint: second.result.fingerprint });
    expect(mine.items[1].time < mine.items[0].time).toBe(true);
    expect(first.result.fingerprint).toBe(second.result.fingerprint);
    expect((await signaturesOf(h.app, ann.user)).items.map((s) => s.commit)).toEqual([h.commits[3]]);
  });

  it('keeps listing the lines of a revoked device', async () => {
    await revokeDevice(h.app, bob.user, bob.deviceId);
    expect((await signaturesOf(h.app, bob.user)).total).toBe(2);
  });
});
