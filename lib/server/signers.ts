import { deviceAllowedSignersLine } from '../auth/device-view';
import { EMAIL_RE } from '../config/config';
import { CountersignError } from '../errors';
import { listActiveKeys } from '../store/credentials';
import type { AuthContext } from '../auth/context';

/**
 * Enrolled, non-revoked passkeys as an allowed_signers file — a convenience for building a
 * repository's `.countersign/allowed_signers`, never a source of trust by itself (the repository's
 * file is what counts). One user's keys are public, as a forge's `/<user>.keys` is (you ask by
 * the address you already know; device names are left out); the list of everyone's, with device
 * names, is for signed-in users (the route requires it).
 */
export async function allowedSignersFile(ctx: AuthContext, email?: string, opts: { deviceNames?: boolean } = {}): Promise<string> {
  if (email !== undefined && !EMAIL_RE.test(email)) throw new CountersignError('bad-input', 'not an e-mail address');
  const keys = await listActiveKeys(ctx.db, email);
  if (email !== undefined && keys.length === 0) throw new CountersignError('not-found', `no active passkeys for ${email}`);
  const header = `# Countersign passkeys${email ? ` of ${email.toLowerCase()}` : ''} (RP ID ${ctx.config.rpId}); generated ${new Date().toISOString()}\n`;
  return header + keys.map((k) => deviceAllowedSignersLine(k.email, k.sshKey, opts.deviceNames ? safeComment(k.name) : undefined) + '\n').join('');
}

function safeComment(name: string): string {
  return name.replace(/[^\x21-\x7e]+/g, '_').slice(0, 60);
}
