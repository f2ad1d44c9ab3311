import type { DeviceView, UserView } from '../server/types';
import { CountersignError } from '../errors';
import { parsePublicKeyText } from '../ssh/public-key';
import { DEFAULT_NAMESPACE } from '../statement/statement';
import { listCredentials, renameCredential, revokeCredential, type CredentialRow } from '../store/credentials';
import { deleteSessionsOfCredential } from '../store/sessions';
import { allowedSignersLine } from '../webauthn/allowed-signers-line';
import type { AuthContext } from './context';
import { cleanDeviceName } from './webauthn';

/**
 * The line to paste into a repository's `.countersign/allowed_signers`. Limited to the review
 * namespace, so the key can never vouch for anything else (a commit signature, a file).
 */
export function deviceAllowedSignersLine(email: string, sshKey: string, comment?: string): string {
  return allowedSignersLine(email, parsePublicKeyText(sshKey), { namespaces: DEFAULT_NAMESPACE, ...(comment ? { comment } : {}) });
}

export function toDeviceView(c: CredentialRow, email: string): DeviceView {
  return {
    id: c.id,
    name: c.name,
    createdAt: c.createdAt,
    lastUsedAt: c.lastUsedAt,
    revokedAt: c.revokedAt,
    fingerprint: c.fingerprint,
    publicKey: c.sshKey,
    allowedSignersLine: deviceAllowedSignersLine(email, c.sshKey),
  };
}

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
