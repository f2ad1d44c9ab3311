import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokenFromHeader, createApiToken } from '../../lib/auth/api-tokens';
import { listDevices, renameDevice, revokeDevice } from '../../lib/auth/devices';
import { createInvite, DEFAULT_INVITE_TTL_MS } from '../../lib/auth/invites';
import { createSession, endSession, readCookie, sessionCookie, userForSessionToken } from '../../lib/auth/sessions';
import { registrationOptions, verifyRegistration } from '../../lib/auth/webauthn';
import { allowedSignersFile } from '../../lib/server/signers';
import { migrate } from '../../lib/store/migrations';
import { cborEncode, createPasskey, getAssertion, toAuthenticationResponseJSON, toRegistrationResponseJSON } from '../../tests/support/soft-authenticator';
import { loginOptions, verifyLogin } from '../../lib/auth/webauthn';
import { approve, enroll, ORIGIN, signIn, startHarness, type Harness } from './app-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function registerWith(token: string, tweak: { origin?: string; flags?: number; cose?: Uint8Array } = {}) {
  const options = await registrationOptions(h.app, { inviteToken: token, viewer: null });
  const pk = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(options.user.id, 'base64url')) });
  if (tweak.cose) pk.cosePublicKey = tweak.cose;
  const response = toRegistrationResponseJSON(pk, { challenge: options.challenge, origin: tweak.origin ?? ORIGIN, flags: tweak.flags });
  return verifyRegistration(h.app, { inviteToken: token, response: response as any, viewer: null });
}

describe('invites', () => {
  it('produce a one-time URL on the public origin, valid for 24 h by default, stored only as a hash', async () => {
    const invite = await createInvite(h.app, 'Erin@Example.org');
    expect(invite.url).toBe(`${ORIGIN}/invite/${invite.token}`);
    expect(invite.email).toBe('erin@example.org');
    expect(Date.parse(invite.expiresAt) - Date.now()).toBeGreaterThan(DEFAULT_INVITE_TTL_MS - 60_000);
    const rows = await h.app.db.query<{ token_hash: string }>('select token_hash from invites where email = $1', ['erin@example.org']);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].token_hash).not.toContain(invite.token);
  });

  it('refuse what is not an e-mail address usable as a signer name', async () => {
    await expect(createInvite(h.app, 'not an address')).rejects.toMatchObject({ code: 'bad-input' });
    await expect(createInvite(h.app, 'a"b@example.org')).rejects.toMatchObject({ code: 'bad-input' });
  });

  it('work once: a reused invite is refused and creates nothing', async () => {
    const invite = await createInvite(h.app, 'frank@example.org');
    await registerWith(invite.token);
    await expect(registrationOptions(h.app, { inviteToken: invite.token, viewer: null })).rejects.toThrow(/already been used/);
  });

  it('expire', async () => {
    const invite = await createInvite(h.app, 'gina@example.org', { ttlMs: 50 });
    await sleep(80);
    await expect(registrationOptions(h.app, { inviteToken: invite.token, viewer: null })).rejects.toThrow(/expired/);
  });

  it('expiring between options and verify still refuses, and no user is created', async () => {
    const invite = await createInvite(h.app, 'hank@example.org', { ttlMs: 400 });
    const options = await registrationOptions(h.app, { inviteToken: invite.token, viewer: null });
    await sleep(450);
    const pk = createPasskey({ rpId: 'localhost' });
    const response = toRegistrationResponseJSON(pk, { challenge: options.challenge, origin: ORIGIN });
    await expect(verifyRegistration(h.app, { inviteToken: invite.token, response: response as any, viewer: null })).rejects.toThrow(/expired or was already used/);
    expect(await h.app.db.query('select 1 from users where email = $1', ['hank@example.org'])).toHaveLength(0);
  });

  it('an unknown token is refused', async () => {
    await expect(registrationOptions(h.app, { inviteToken: 'x'.repeat(43), viewer: null })).rejects.toThrow(/not valid/);
  });
});

describe('passkey registration', () => {
  it('requires user verification', async () => {
    const invite = await createInvite(h.app, 'ivan@example.org');
    await expect(registerWith(invite.token, { flags: 0x41 })).rejects.toThrow(/user verification/i);
  });

  it('checks the origin', async () => {
    const invite = await createInvite(h.app, 'ivan@example.org');
    await expect(registerWith(invite.token, { origin: 'https://phish.example' })).rejects.toThrow(/origin/i);
  });

  it('asks for a discoverable ES256 credential with user verification', async () => {
    const invite = await createInvite(h.app, 'jane@example.org');
    const options = await registrationOptions(h.app, { inviteToken: invite.token, viewer: null });
    expect(options.pubKeyCredParams).toEqual([{ alg: -7, type: 'public-key' }]);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    expect(options.rp).toEqual({ name: 'Countersign', id: 'localhost' });
  });

  it('refuses a non-ES256 credential with an explanation, and the invite stays usable', async () => {
    const invite = await createInvite(h.app, 'kim@example.org');
    const ed25519Cose = cborEncode(new Map<any, any>([[1, 1], [3, -8], [-1, 6], [-2, new Uint8Array(32).fill(7)]]));
    await expect(registerWith(invite.token, { cose: ed25519Cose })).rejects.toMatchObject({ code: 'unsupported-algorithm' });
    const ok = await registerWith(invite.token);
    expect(ok.user.email).toBe('kim@example.org');
  });

  it('gives the device an allowed_signers line for the user, limited to the review namespace', async () => {
    const e = await enroll(h.app, 'lena@example.org');
    expect(e.allowedSignersLine).toMatch(/^lena@example\.org namespaces="countersign-review@countersign\.dev" sk-ecdsa-sha2-nistp256@openssh\.com AAAA/);
  });
});

describe('devices and sign-in', () => {
  it('signs in with a discoverable credential and keeps a session', async () => {
    const e = await enroll(h.app, 'mia@example.org');
    const { user, credential } = await signIn(h.app, e.passkey);
    expect(user.email).toBe('mia@example.org');
    const token = await createSession(h.app, user.id, credential.id);
    const cookie = sessionCookie(h.app, token);
    expect(cookie).toMatch(/^cs_session=[A-Za-z0-9_-]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    expect(await userForSessionToken(h.app, readCookie(`a=b; ${cookie.split(';')[0]}`))).toMatchObject({ email: 'mia@example.org' });
    await endSession(h.app, token);
    expect(await userForSessionToken(h.app, token)).toBeNull();
  });

  it('refuses a sign-in whose user handle is not the registered one', async () => {
    const e = await enroll(h.app, 'ned@example.org');
    e.passkey.userHandle = new Uint8Array(16).fill(1);
    await expect(signIn(h.app, e.passkey)).rejects.toThrow(/another user/);
  });

  it('refuses a sign-in challenge used twice', async () => {
    const e = await enroll(h.app, 'olga@example.org');
    const options = await loginOptions(h.app);
    const challenge = new Uint8Array(Buffer.from(options.challenge, 'base64url'));
    await verifyLogin(h.app, toAuthenticationResponseJSON(getAssertion(e.passkey, { challenge, origin: ORIGIN })) as any);
    await expect(verifyLogin(h.app, toAuthenticationResponseJSON(getAssertion(e.passkey, { challenge, origin: ORIGIN })) as any)).rejects.toThrow(
      /expired or was already used/,
    );
  });

  it('adds another device for a signed-in user; rename and revoke only their own', async () => {
    const e = await enroll(h.app, 'paul@example.org');
    const options = await registrationOptions(h.app, { viewer: e.user });
    expect(options.excludeCredentials?.map((c) => c.id)).toEqual([e.deviceId]);
    const second = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(options.user.id, 'base64url')) });
    const response = toRegistrationResponseJSON(second, { challenge: options.challenge, origin: ORIGIN });
    // Finishing someone else's "add a device" is refused.
    const other = await enroll(h.app, 'quinn@example.org');
    await expect(verifyRegistration(h.app, { response: response as any, viewer: other.user, deviceName: 'x' })).rejects.toThrow(/sign in as the user/);

    const options2 = await registrationOptions(h.app, { viewer: e.user });
    const response2 = toRegistrationResponseJSON(second, { challenge: options2.challenge, origin: ORIGIN });
    const { device } = await verifyRegistration(h.app, { response: response2 as any, viewer: e.user, deviceName: '  Work laptop\n' });
    expect(device.name).toBe('Work laptop');
    expect((await listDevices(h.app, e.user)).map((d) => d.id)).toEqual([e.deviceId, device.id]);
    expect(await allowedSignersFile(h.app, 'paul@example.org')).toMatch(/^# .*\npaul@example\.org .*\npaul@example\.org .*\n$/);

    expect((await renameDevice(h.app, e.user, device.id, 'Desk')).name).toBe('Desk');
    await expect(renameDevice(h.app, other.user, device.id, 'Mine now')).rejects.toMatchObject({ code: 'not-found' });
    await expect(revokeDevice(h.app, other.user, device.id)).rejects.toMatchObject({ code: 'not-found' });
    const sessionOfSecond = await createSession(h.app, e.user.id, device.id);
    const sessionOfFirst = await createSession(h.app, e.user.id, e.deviceId);
    const revoked = await revokeDevice(h.app, e.user, device.id);
    expect(revoked.revokedAt).not.toBeNull();
    // A lost device's open session ends with it; the other device's session goes on.
    expect(await userForSessionToken(h.app, sessionOfSecond)).toBeNull();
    expect(await userForSessionToken(h.app, sessionOfFirst)).toMatchObject({ email: 'paul@example.org' });
    await expect(signIn(h.app, second)).rejects.toThrow(/revoked/);
    // The first device still works.
    await expect(signIn(h.app, e.passkey)).resolves.toMatchObject({ user: { email: 'paul@example.org' } });
  });

  it("records a device's last use when it is registered, signs in and approves", async () => {
    const e = await enroll(h.app, 'rita@example.org');
    const lastUsed = async (id: string) => (await listDevices(h.app, e.user)).find((d) => d.id === id)!.lastUsedAt;
    const enrolled = (await listDevices(h.app, e.user))[0];
    // Enrolling used the passkey: the Devices page must not say "never" for it.
    expect(enrolled.lastUsedAt).not.toBeNull();
    expect(Date.parse(enrolled.lastUsedAt!)).toBeGreaterThanOrEqual(Date.parse(enrolled.createdAt));

    await sleep(20);
    await signIn(h.app, e.passkey);
    const afterSignIn = await lastUsed(e.deviceId);
    expect(Date.parse(afterSignIn!)).toBeGreaterThan(Date.parse(enrolled.lastUsedAt!));

    await sleep(20);
    await approve(h.app, e.user, e.passkey, h.commits[1]);
    expect(Date.parse((await lastUsed(e.deviceId))!)).toBeGreaterThan(Date.parse(afterSignIn!));

    // A device added later starts with its own registration time, and leaves the other's alone.
    const before = await lastUsed(e.deviceId);
    const options = await registrationOptions(h.app, { viewer: e.user });
    const laptop = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(options.user.id, 'base64url')) });
    const { device } = await verifyRegistration(h.app, {
      response: toRegistrationResponseJSON(laptop, { challenge: options.challenge, origin: ORIGIN }) as any,
      viewer: e.user,
      deviceName: 'Laptop',
    });
    expect(device.lastUsedAt).not.toBeNull();
    expect(await lastUsed(e.deviceId)).toBe(before);
  });

  it('an existing install upgrading: devices registered before without a last use read as used at registration', async () => {
    const e = await enroll(h.app, 'sam@example.org');
    await h.app.db.query('update credentials set last_used_at = null where id = $1', [e.deviceId]);
    await h.app.db.query('delete from schema_migrations where version = 3');
    expect((await listDevices(h.app, e.user))[0].lastUsedAt).toBeNull();
    expect(await migrate(h.app.db)).toEqual([3]);
    const [device] = await listDevices(h.app, e.user);
    expect(device.lastUsedAt).toBe(device.createdAt);
  });

  it('needs a session to add a device without an invite', async () => {
    await expect(registrationOptions(h.app, { viewer: null })).rejects.toThrow(/sign in/);
  });
});

describe('bot API tokens', () => {
  it('are shown once, stored hashed, and accepted as a Bearer header', async () => {
    const { token, row } = await createApiToken(h.app, 'CI', null);
    expect(token).toMatch(/^cst_/);
    expect((await apiTokenFromHeader(h.app, `Bearer ${token}`))?.id).toBe(row.id);
    expect(await apiTokenFromHeader(h.app, `Bearer ${token}x`)).toBeNull();
    expect(await apiTokenFromHeader(h.app, null)).toBeNull();
    const stored = await h.app.db.query<{ token_hash: string }>('select token_hash from api_tokens where id = $1', [row.id]);
    expect(stored[0].token_hash).not.toContain(token);
  });
});
