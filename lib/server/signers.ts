import { deviceAllowedSignersLine } from '../auth/devices';
import { EMAIL_RE } from '../config/config';
import { CountersignError } from '../errors';
import { listActiveKeys } from '../store/credentials';
import type { AuthContext } from '../auth/context';

/**
 * Every enrolled, non-revoked passkey as an allowed_signers file — in the manner of a forge's
 * `/<user>.keys`: a convenience for building a repository's `.countersign/allowed_signers`, never
 * a source of trust by itself (the repository's file is what counts).
 */
export async function allowedSignersFile(ctx: AuthContext, email?: string): Promise<string> {
  if (email !== undefined && !EMAIL_RE.test(email)) throw new CountersignError('bad-input', 'not an e-mail address');
  const keys = await listActiveKeys(ctx.db, email);
  if (email !== undefined && keys.length === 0) throw new CountersignError('not-found', `no active passkeys for ${email}`);
  const header = `# Countersign passkeys${email ? ` of ${email.toLowerCase()}` : ''} (RP ID ${ctx.config.rpId}); generated ${new Date().toISOString()}\n`;
  return header + keys.map((k) => deviceAllowedSignersLine(k.email, k.sshKey, safeComment(k.name)) + '\n').join('');
}

function safeComment(name: string): string {
  return name.replace(/[^\x21-\x7e]+/g, '_').slice(0, 60);
}
