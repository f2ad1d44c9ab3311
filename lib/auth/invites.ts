import { EMAIL_RE } from '../config/config';
import { CountersignError } from '../errors';
import { findInvite, insertInvite, type InviteRow } from '../store/invites';
import { hashToken, randomToken } from '../store/ids';
import type { AuthContext } from './context';

export const DEFAULT_INVITE_TTL_MS = 24 * 60 * 60 * 1000;

export interface CreatedInvite {
  url: string;
  token: string;
  email: string;
  admin: boolean;
  expiresAt: string;
}

/**
 * A one-time invite: the URL carries a random token; only its SHA-256 is stored, so a copy of
 * the database does not let anyone enroll.
 */
export async function createInvite(
  ctx: AuthContext,
  email: string,
  opts: { admin?: boolean; ttlMs?: number; createdBy?: string | null } = {},
): Promise<CreatedInvite> {
  const clean = typeof email === 'string' ? email.trim().toLowerCase() : '';
  if (!EMAIL_RE.test(clean) || clean.length > 254) {
    throw new CountersignError('bad-input', `${JSON.stringify(email)} is not an e-mail address (it becomes the signer name in allowed_signers: letters, digits, . _ % + - and one @)`);
  }
  const ttl = opts.ttlMs ?? DEFAULT_INVITE_TTL_MS;
  if (!(ttl > 0)) throw new CountersignError('bad-input', 'an invite must live a positive time');
  const token = randomToken(32);
  const row = await insertInvite(ctx.db, {
    tokenHash: hashToken(token),
    email: clean,
    isAdmin: !!opts.admin,
    createdBy: opts.createdBy ?? null,
    expiresAt: new Date(Date.now() + ttl),
  });
  return { url: inviteUrl(ctx, token), token, email: row.email, admin: row.isAdmin, expiresAt: row.expiresAt };
}

export function inviteUrl(ctx: AuthContext, token: string): string {
  return `${ctx.config.publicUrl}/invite/${token}`;
}

const TOKEN_RE = /^[A-Za-z0-9_-]{20,100}$/;

/**
 * The invite behind a token if it can still be used; otherwise a 'forbidden' error that says why
 * (expired, used, unknown) and what to do.
 */
export async function usableInvite(ctx: AuthContext, token: string): Promise<InviteRow> {
  if (!TOKEN_RE.test(token)) throw new CountersignError('bad-input', 'this invite link is malformed; copy the whole link');
  const invite = await findInvite(ctx.db, hashToken(token));
  if (!invite) throw new CountersignError('forbidden', 'this invite link is not valid; ask an admin for a new one');
  if (invite.usedAt) throw new CountersignError('forbidden', 'this invite link has already been used; sign in with your passkey, or ask an admin for a new invite');
  if (Date.parse(invite.expiresAt) <= Date.now()) {
    throw new CountersignError('forbidden', `this invite link expired at ${invite.expiresAt}; ask an admin for a new one`);
  }
  return invite;
}
