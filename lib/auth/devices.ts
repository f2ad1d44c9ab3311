import { generateAuthenticationOptions, type AuthenticationResponseJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { DeviceView, UserView } from '../server/types';
import { CountersignError } from '../errors';
import { consumeChallenge, insertChallenge } from '../store/challenges';
import { listCredentials, renameCredential, revokeCredential } from '../store/credentials';
import { deleteSessionsOfCredential } from '../store/sessions';
import { findUserById } from '../store/users';
import { AuthRequiredError, type AuthContext } from './context';
import { passkeyCheckFreshUntil, recordPasskeyCheck, requireFreshPasskeyCheck } from './sessions';
import { activeCredential, cleanDeviceName, echoedChallenge, verifyAssertion } from './webauthn';

import { toDeviceView } from './device-view';

export { deviceAllowedSignersLine, toDeviceView } from './device-view';

export async function listDevices(ctx: AuthContext, viewer: UserView): Promise<DeviceView[]> {
  return (await listCredentials(ctx.db, viewer.id, { includeRevoked: true })).map((c) => toDeviceView(c, viewer.email));
}

export async function renameDevice(ctx: AuthContext, viewer: UserView, id: string, name: string): Promise<DeviceView> {
  const clean = cleanDeviceName(name);
  if (!clean) throw new CountersignError('bad-input', 'give the device a name (up to 60 characters)');
  const row = await renameCredential(ctx.db, id, viewer.id, clean);
  if (!row) throw new CountersignError('not-found', 'no such device of yours');
  return toDeviceView(row, viewer.email);
}

/**
 * Revoked devices can neither sign in nor approve, and the sessions they opened end; the row
 * stays so its history remains visible.
 */
export async function revokeDevice(ctx: AuthContext, viewer: UserView, id: string): Promise<DeviceView> {
  const row = await revokeCredential(ctx.db, id, viewer.id);
  if (!row) throw new CountersignError('not-found', 'no such device of yours');
  await deleteSessionsOfCredential(ctx.db, id);
  return toDeviceView(row, viewer.email);
}

// ---------------------------------------------------------------- step-up before adding a device

/**
 * Adding a device needs a passkey check from the last few minutes, not just a session: a
 * session lasts weeks on a device (and a stolen one must not be able to enrol the thief's
 * passkey). Either the session is still fresh (opened or checked minutes ago), or this asks one
 * of the user's own passkeys to confirm.
 */
export type StepUpOptions = { fresh: true; freshUntil: string } | { fresh: false; options: PublicKeyCredentialRequestOptionsJSON };

export async function stepUpOptions(ctx: AuthContext, viewer: UserView | null, sessionToken: string | null): Promise<StepUpOptions> {
  if (!viewer) throw new AuthRequiredError('sign in to add another device');
  const freshUntil = await passkeyCheckFreshUntil(ctx, sessionToken);
  if (freshUntil) return { fresh: true, freshUntil };
  const creds = await listCredentials(ctx.db, viewer.id);
  if (creds.length === 0) throw new CountersignError('forbidden', 'you have no active passkey to confirm with; ask an admin for an invite to add a device');
  const options = await generateAuthenticationOptions({
    rpID: ctx.config.rpId,
    allowCredentials: creds.map((c) => ({ id: c.id, transports: c.transports as any })),
    userVerification: 'required',
  });
  // A sign-in ceremony bound to this user: only their own passkey can answer it.
  await insertChallenge(ctx.db, { kind: 'login', challenge: options.challenge, userId: viewer.id });
  return { fresh: false, options };
}

export async function stepUpVerify(
  ctx: AuthContext,
  viewer: UserView | null,
  sessionToken: string | null,
  response: AuthenticationResponseJSON,
): Promise<{ freshUntil: string }> {
  if (!viewer) throw new AuthRequiredError('sign in to add another device');
  const challenge = await consumeChallenge(ctx.db, 'login', { challenge: echoedChallenge(response.response.clientDataJSON) }, { userId: viewer.id });
  if (!challenge) throw new CountersignError('forbidden', 'this passkey check expired or was already used; try again');
  const cred = await activeCredential(ctx, response.id);
  if (cred.userId !== viewer.id) throw new CountersignError('forbidden', 'confirm with one of your own passkeys');
  const owner = await findUserById(ctx.db, viewer.id);
  const handle = response.response.userHandle;
  if (handle && owner && handle !== owner.webauthnUserId) throw new CountersignError('forbidden', 'the passkey reported another user; nothing was changed');
  await verifyAssertion(ctx, cred, response, challenge.challenge, 'passkey check');
  await recordPasskeyCheck(ctx, sessionToken, viewer.id);
  return { freshUntil: (await passkeyCheckFreshUntil(ctx, sessionToken))! };
}

/**
 * Registration without an invite adds a device to the signed-in user: only after a recent passkey
 * check (both when the options are asked for and when the new passkey is handed in).
 */
export async function requireStepUpToAddDevice(ctx: AuthContext, req: { inviteToken?: string; viewer: UserView | null; sessionToken: string | null }): Promise<void> {
  if (req.inviteToken || !req.viewer) return; // an invite is its own proof; no session: refused later
  await requireFreshPasskeyCheck(ctx, req.sessionToken);
}
