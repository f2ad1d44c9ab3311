import type { DeviceView } from '../server/types';
import { parsePublicKeyText } from '../ssh/public-key';
import { DEFAULT_NAMESPACE } from '../statement/statement';
import type { CredentialRow } from '../store/credentials';
import { allowedSignersLine } from '../webauthn/allowed-signers-line';

/**
 * How a device (a registered passkey) is shown. Its own module, below both ./webauthn (which
 * shows the device it has just registered) and ./devices (which uses ./webauthn's ceremonies), so
 * that neither imports the other in a circle.
 */

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
