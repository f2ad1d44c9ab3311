import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { DeviceView, UserView } from '../server/types';
import { CountersignError, isCountersignError } from '../errors';
import { fingerprintSha256, formatPublicKey } from '../ssh/public-key';
import { consumeChallenge, insertChallenge } from '../store/challenges';
import { findCredential, insertCredential, listCredentials, recordUse, type CredentialRow } from '../store/credentials';
import { hashToken, randomToken } from '../store/ids';
import { consumeInvite } from '../store/invites';
import { findUserByEmail, findUserById, insertUser, setAdmin, toUserView } from '../store/users';
import { sshKeyFromCose } from '../webauthn/cose-key';
import type { AuthContext } from './context';
import { AuthRequiredError } from './context';
import { toDeviceView } from './device-view';
import { usableInvite } from './invites';

/** ES256 only: OpenSSH has a WebAuthn signature type for P-256 and nothing else. */
export const SUPPORTED_ALGORITHMS = [-7];
/**
 * What verification lets through so that a non-ES256 credential reaches our own check, which
 * explains the refusal, instead of failing inside the library with a terse message.
 */
const VERIFIABLE_ALGORITHMS = [-7, -8, -257];

/** The challenge a browser echoed, read from clientDataJSON (to find our stored challenge). */
export function echoedChallenge(clientDataJSON: string): string {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    if (typeof data?.challenge === 'string' && data.challenge.length <= 512) return data.challenge;
  } catch {
    /* fall through */
  }
  throw new CountersignError('bad-input', 'the passkey response has no readable clientDataJSON challenge');
}

async function webauthnCheck<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (isCountersignError(e)) throw e;
    // @simplewebauthn's messages are specific and safe to show ("User verification was required…").
    throw new CountersignError('forbidden', `${what} refused: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------- registration

export async function registrationOptions(
  ctx: AuthContext,
  req: { inviteToken?: string; viewer: UserView | null },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  let email: string;
  let handle: string;
  let inviteHash: string | null = null;
  let userId: string | null = null;
  if (req.inviteToken) {
    const invite = await usableInvite(ctx, req.inviteToken);
    inviteHash = invite.tokenHash;
    email = invite.email;
    // An invite for someone already enrolled adds a device to them (recovery after a lost phone).
    const existing = await findUserByEmail(ctx.db, email);
    handle = existing?.webauthnUserId ?? randomToken(32);
    userId = existing?.id ?? null;
  } else {
    if (!req.viewer) throw new AuthRequiredError('sign in to add another device, or open your invite link');
    const user = await findUserById(ctx.db, req.viewer.id);
    if (!user) throw new AuthRequiredError();
    email = user.email;
    handle = user.webauthnUserId;
    userId = user.id;
  }
  const existingCreds = userId ? await listCredentials(ctx.db, userId, { includeRevoked: true }) : [];
  const options = await generateRegistrationOptions({
    rpName: ctx.config.rpName,
    rpID: ctx.config.rpId,
    userName: email,
    userDisplayName: email,
    userID: new Uint8Array(Buffer.from(handle, 'base64url')),
    attestationType: 'none',
    excludeCredentials: existingCreds.map((c) => ({ id: c.id, transports: c.transports })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
  await insertChallenge(ctx.db, { kind: 'registration', challenge: options.challenge, inviteHash, userId, webauthnUserId: handle });
  return options;
}

export async function verifyRegistration(
  ctx: AuthContext,
  req: { inviteToken?: string; deviceName?: string; response: RegistrationResponseJSON; viewer: UserView | null },
): Promise<{ user: UserView; device: DeviceView }> {
  const challenge = await consumeChallenge(ctx.db, 'registration', { challenge: echoedChallenge(req.response.response.clientDataJSON) });
  if (!challenge) throw new CountersignError('forbidden', 'this registration request expired or was already used; start again');
  const inviteHash = req.inviteToken ? hashToken(req.inviteToken) : null;
  if (inviteHash !== challenge.inviteHash) throw new CountersignError('forbidden', 'this registration was started for another invite; start again');
  if (!inviteHash && (!req.viewer || req.viewer.id !== challenge.userId)) {
    throw new AuthRequiredError('sign in as the user who started adding this device');
  }
  const verification = await webauthnCheck('registration', () =>
    verifyRegistrationResponse({
      response: req.response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: ctx.config.origins,
      expectedRPID: ctx.config.rpId,
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: VERIFIABLE_ALGORITHMS,
    }),
  );
  if (!verification.verified) throw new CountersignError('forbidden', 'the passkey registration could not be verified');
  const info = verification.registrationInfo;
  // Refuses anything but ES256 with an explanation (OpenSSH can only verify P-256 passkeys).
  const sshKey = sshKeyFromCose(info.credential.publicKey, ctx.config.rpId);
  const credId = info.credential.id;
  if (await findCredential(ctx.db, credId)) throw new CountersignError('conflict', 'this passkey is already registered');

  const name = cleanDeviceName(req.deviceName) ?? defaultDeviceName(req.response);
  const { user, cred } = await ctx.db.transaction(async (tx) => {
    let userId = challenge.userId;
    let isAdminFromInvite = false;
    if (inviteHash) {
      // Consumed inside the transaction: two racing enrolments with one invite cannot both win.
      const placeholderId = userId;
      const invite = await tx.query<{ email: string; is_admin: boolean }>(
        'select email, is_admin from invites where token_hash = $1 and used_at is null and expires_at > now() for update',
        [inviteHash],
      );
      if (!invite[0]) throw new CountersignError('forbidden', 'this invite has expired or was already used; ask an admin for a new one');
      isAdminFromInvite = !!invite[0].is_admin;
      if (!placeholderId) {
        const existing = await findUserByEmail(tx, invite[0].email);
        userId = existing?.id ?? (await insertUser(tx, { email: invite[0].email, isAdmin: isAdminFromInvite, webauthnUserId: challenge.webauthnUserId! })).id;
      }
      if (isAdminFromInvite) await setAdmin(tx, userId!, true);
      const used = await consumeInvite(tx, inviteHash, userId!);
      if (!used) throw new CountersignError('forbidden', 'this invite has expired or was already used; ask an admin for a new one');
    }
    const cred = await insertCredential(tx, {
      id: credId,
      userId: userId!,
      publicKey: info.credential.publicKey,
      rpId: ctx.config.rpId,
      sshKey: formatPublicKey(sshKey),
      fingerprint: fingerprintSha256(sshKey),
      counter: info.credential.counter,
      transports: (req.response.response.transports ?? info.credential.transports ?? []) as string[],
      name,
    });
    const user = await findUserById(tx, userId!);
    return { user: user!, cred };
  });
  return { user: toUserView(user), device: toDeviceView(cred, user.email) };
}

export function cleanDeviceName(name: string | undefined | null): string | null {
  if (typeof name !== 'string') return null;
  const s = name.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 60);
  return s || null;
}

function defaultDeviceName(response: RegistrationResponseJSON): string {
  const t = response.response.transports ?? [];
  if (t.includes('internal') || t.includes('hybrid')) return 'Passkey';
  if (t.includes('usb') || t.includes('nfc')) return 'Security key';
  return 'Passkey';
}

// ---------------------------------------------------------------- sign-in

/** Discoverable credentials: no allowCredentials, so the browser offers the user's passkeys (and autofill). */
export async function loginOptions(ctx: AuthContext): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options = await generateAuthenticationOptions({ rpID: ctx.config.rpId, userVerification: 'required', allowCredentials: [] });
  await insertChallenge(ctx.db, { kind: 'login', challenge: options.challenge });
  return options;
}

/** A credential that may still be used: registered here, not revoked, owner known. */
export async function activeCredential(ctx: AuthContext, credentialId: string): Promise<CredentialRow> {
  const cred = typeof credentialId === 'string' && credentialId.length <= 1400 ? await findCredential(ctx.db, credentialId) : null;
  if (!cred) throw new CountersignError('forbidden', 'this passkey is not registered here; enroll it with an invite first');
  if (cred.revokedAt) throw new CountersignError('forbidden', `this passkey ("${cred.name}") was revoked on ${cred.revokedAt}; use another device or ask for a new invite`);
  return cred;
}

/** Verifies an assertion against a stored credential (origin, RP ID, UV, counter) and records its use. */
export async function verifyAssertion(
  ctx: AuthContext,
  cred: CredentialRow,
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
  what = 'sign-in',
): Promise<{ newCounter: number; origin: string }> {
  const v = await webauthnCheck(what, () =>
    verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: ctx.config.origins,
      expectedRPID: ctx.config.rpId,
      credential: { id: cred.id, publicKey: new Uint8Array(cred.publicKey), counter: cred.counter, transports: cred.transports as any },
      requireUserVerification: true,
    }),
  );
  if (!v.verified) throw new CountersignError('forbidden', `${what} refused: the passkey signature does not verify`);
  await recordUse(ctx.db, cred.id, v.authenticationInfo.newCounter);
  return { newCounter: v.authenticationInfo.newCounter, origin: v.authenticationInfo.origin };
}

export async function verifyLogin(ctx: AuthContext, response: AuthenticationResponseJSON): Promise<{ user: UserView; credential: CredentialRow }> {
  const challenge = await consumeChallenge(ctx.db, 'login', { challenge: echoedChallenge(response.response.clientDataJSON) });
  if (!challenge) throw new CountersignError('forbidden', 'this sign-in request expired or was already used; try again');
  const cred = await activeCredential(ctx, response.id);
  const user = await findUserById(ctx.db, cred.userId);
  if (!user) throw new CountersignError('forbidden', 'this passkey belongs to no user');
  // A discoverable credential reports its user handle; it must be the one we registered.
  const handle = response.response.userHandle;
  if (handle && handle !== user.webauthnUserId) throw new CountersignError('forbidden', 'the passkey reported another user; sign-in refused');
  await verifyAssertion(ctx, cred, response, challenge.challenge);
  return { user: toUserView(user), credential: cred };
}
