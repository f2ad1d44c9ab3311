/**
 * Sessions last on a device (fewer passkey ceremonies: each is one a compromised server could put
 * to another use), revocation still ends them at once, and adding a device needs a passkey check
 * from the last few minutes — a step-up — not just a session. Through the route handlers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvite } from '../../lib/auth/invites';
import { createSession } from '../../lib/auth/sessions';
import { enroll } from './app-harness';
import { createPasskey, getAssertion, toAuthenticationResponseJSON, toRegistrationResponseJSON, type SoftPasskey } from '../support/soft-authenticator';
import * as registerOptions from '../../app/api/auth/register/options/route';
import * as registerVerify from '../../app/api/auth/register/verify/route';
import * as stepUpOptions from '../../app/api/auth/register/step-up/options/route';
import * as stepUpVerify from '../../app/api/auth/register/step-up/verify/route';
import * as me from '../../app/api/me/route';
import * as devices from '../../app/api/devices/[id]/route';
import { call, ORIGIN, enrollViaHttp, startHttpServer, type HttpServer, type HttpUser } from './http-client';

let s: HttpServer;
let root: HttpUser;
beforeAll(async () => {
  s = await startHttpServer();
  root = await enrollViaHttp(s.firstInviteUrl);
});
afterAll(async () => {
  await s?.close();
});

const DAY = 24 * 60 * 60 * 1000;
const tokenHashOf = async (user: HttpUser) =>
  (await s.app.db.query<{ token_hash: string }>('select token_hash from sessions where user_id = $1 order by created_at desc limit 1', [user.user.id]))[0].token_hash;

async function sessionRow(hash: string) {
  const rows = await s.app.db.query<{ expires_at: unknown }>('select expires_at from sessions where token_hash = $1', [hash]);
  return rows[0] ? { expiresAt: new Date(String(rows[0].expires_at instanceof Date ? rows[0].expires_at.toISOString() : rows[0].expires_at)).getTime() } : null;
}

/** Enrolled and signed in without the (rate-limited) routes: the tests below are about what follows. */
async function newUser(email: string): Promise<HttpUser> {
  const e = await enroll(s.app, email);
  const token = await createSession(s.app, e.user.id, e.deviceId);
  return { cookie: `cs_session=${token}`, passkey: e.passkey, user: e.user, device: { id: e.deviceId } };
}

/** Registration without an invite: a signed-in user adding a device. */
async function addDevice(user: HttpUser, name: string): Promise<{ status: number; body: any; passkey?: SoftPasskey }> {
  const opts = await call(registerOptions.POST, { body: {}, cookie: user.cookie });
  if (opts.status !== 200) return opts;
  const passkey = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(opts.body.user.id, 'base64url')) });
  const response = toRegistrationResponseJSON(passkey, { challenge: opts.body.challenge, origin: ORIGIN });
  const verified = await call(registerVerify.POST, { body: { deviceName: name, response }, cookie: user.cookie });
  return { ...verified, passkey };
}

async function stepUp(user: HttpUser, passkey: SoftPasskey) {
  const opts = await call(stepUpOptions.POST, { body: {}, cookie: user.cookie });
  expect(opts.status).toBe(200);
  expect(opts.body.fresh).toBe(false);
  const a = getAssertion(passkey, { challenge: new Uint8Array(Buffer.from(opts.body.options.challenge, 'base64url')), origin: ORIGIN });
  return { opts, answer: await call(stepUpVerify.POST, { body: { response: toAuthenticationResponseJSON(a) }, cookie: user.cookie }) };
}

/** As if the session had been opened (and its passkey last checked) `ms` ago. */
async function ageSession(user: HttpUser, ms: number, opts: { expiresInMs?: number } = {}) {
  const hash = await tokenHashOf(user);
  await s.app.db.query(
    `update sessions set created_at = now() - $2::double precision * interval '1 millisecond', verified_at = now() - $2::double precision * interval '1 millisecond',
       expires_at = now() + $3::double precision * interval '1 millisecond' where token_hash = $1`,
    [hash, ms, opts.expiresInMs ?? DAY],
  );
  return hash;
}

describe('sessions that last on a device', () => {
  it('the cookie is kept for a year; the server ends the session after 30 days unused', async () => {
    const invite = await createInvite(s.app, 'ann2@example.org');
    const opts = await call(registerOptions.POST, { body: { inviteToken: invite.token } });
    const pk = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(opts.body.user.id, 'base64url')) });
    const res = await call(registerVerify.POST, { body: { inviteToken: invite.token, response: toRegistrationResponseJSON(pk, { challenge: opts.body.challenge, origin: ORIGIN }) } });
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=31536000;/);
  });

  it('each use slides the end to 30 days ahead', async () => {
    const ben = await newUser('ben@example.org');
    const hash = await ageSession(ben, 40 * DAY, { expiresInMs: DAY }); // 40 days old, one day left
    expect((await call(me.GET, { cookie: ben.cookie })).status).toBe(200);
    const left = (await sessionRow(hash))!.expiresAt - Date.now();
    expect(left).toBeGreaterThan(29 * DAY);
    expect(left).toBeLessThanOrEqual(30 * DAY + 60_000);
  });

  it('a session unused for 30 days has ended', async () => {
    const cat = await newUser('cat@example.org');
    await ageSession(cat, 31 * DAY, { expiresInMs: -DAY });
    expect((await call(me.GET, { cookie: cat.cookie })).status).toBe(401);
  });

  it('revoking the device that opened a session ends it at once', async () => {
    const dan = await newUser('dan@example.org');
    await ageSession(dan, 10 * DAY);
    expect((await call(me.GET, { cookie: dan.cookie })).status).toBe(200);
    const revoked = await call(devices.DELETE, { method: 'DELETE', cookie: root.cookie, params: { id: dan.device.id } });
    expect(revoked.status).toBe(404); // not root's device: nothing changes
    expect((await call(devices.DELETE, { method: 'DELETE', cookie: dan.cookie, params: { id: dan.device.id } })).status).toBe(200);
    expect((await call(me.GET, { cookie: dan.cookie })).status).toBe(401);
  });
});

describe('adding a device needs a fresh passkey check', () => {
  it('right after signing in or enrolling, no further check is asked for', async () => {
    const eve = await newUser('eve@example.org');
    const opts = await call(stepUpOptions.POST, { body: {}, cookie: eve.cookie });
    expect(opts.body).toMatchObject({ fresh: true });
    const added = await addDevice(eve, 'Eve laptop');
    expect(added.status).toBe(200);
    expect(added.body.device.name).toBe('Eve laptop');
  });

  it('with an old session and no recent check it is refused, and nothing is added', async () => {
    const fay = await newUser('fay@example.org');
    await ageSession(fay, 10 * 60 * 1000); // signed in 10 minutes ago
    const refused = await addDevice(fay, 'Thief key');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/passkey check from the last 5 minutes/);
    expect((await call(me.GET, { cookie: fay.cookie })).body.devices).toHaveLength(1);
  });

  it('the verify step refuses an old session on its own too', async () => {
    const gus = await newUser('gus@example.org');
    await ageSession(gus, 10 * 60 * 1000);
    const opts = await call(registerOptions.POST, { body: {}, cookie: gus.cookie });
    expect(opts.status).toBe(403);
    const pk = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(16) });
    const verify = await call(registerVerify.POST, {
      body: { deviceName: 'x', response: toRegistrationResponseJSON(pk, { challenge: Buffer.from('not-issued').toString('base64url'), origin: ORIGIN }) },
      cookie: gus.cookie,
    });
    expect(verify.status).toBe(403);
    expect(verify.body.error).toMatch(/passkey check/);
  });

  it('a step-up with one of your passkeys (a sign-in ceremony) lets you add the device', async () => {
    const hal = await newUser('hal@example.org');
    await ageSession(hal, 10 * 60 * 1000);
    const { opts, answer } = await stepUp(hal, hal.passkey);
    // Only the user's own passkeys are offered.
    expect(opts.body.options.allowCredentials.map((c: { id: string }) => c.id)).toEqual([hal.device.id]);
    expect(opts.body.options.userVerification).toBe('required');
    expect(answer.status).toBe(200);
    expect(Date.parse(answer.body.freshUntil)).toBeGreaterThan(Date.now() + 4 * 60 * 1000);
    const added = await addDevice(hal, 'Hal tablet');
    expect(added.status).toBe(200);
    expect((await call(me.GET, { cookie: hal.cookie })).body.devices).toHaveLength(2);
  });

  it("someone else's passkey cannot do the step-up", async () => {
    const ivy = await newUser('ivy@example.org');
    await ageSession(ivy, 10 * 60 * 1000);
    const { answer } = await stepUp(ivy, root.passkey);
    expect(answer.status).toBe(403);
    expect((await addDevice(ivy, 'x')).status).toBe(403);
  });

  it('a passkey check without user verification does not count', async () => {
    const jon = await newUser('jon@example.org');
    await ageSession(jon, 10 * 60 * 1000);
    const opts = await call(stepUpOptions.POST, { body: {}, cookie: jon.cookie });
    const a = getAssertion(jon.passkey, { challenge: new Uint8Array(Buffer.from(opts.body.options.challenge, 'base64url')), origin: ORIGIN, flags: 0x01 });
    const answer = await call(stepUpVerify.POST, { body: { response: toAuthenticationResponseJSON(a) }, cookie: jon.cookie });
    expect(answer.status).toBe(403);
    expect((await addDevice(jon, 'x')).status).toBe(403);
  });
});
