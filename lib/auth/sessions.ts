import type { UserView } from '../server/types';
import { deleteSession, insertSession, touchSession } from '../store/sessions';
import { hashToken, randomToken } from '../store/ids';
import { findUserById, toUserView } from '../store/users';
import type { AuthContext } from './context';

export const SESSION_COOKIE = 'cs_session';
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Something that yields the session cookie: a Cookie header, or Next's cookies() store. */
export type CookieSource = string | null | undefined | { get(name: string): { value: string } | undefined };

/** A new session for the user, bound to the passkey that proved it (revoking that passkey ends it). */
export async function createSession(ctx: AuthContext, userId: string, credentialId: string | null): Promise<string> {
  const token = randomToken(32);
  await insertSession(ctx.db, hashToken(token), userId, credentialId, new Date(Date.now() + SESSION_TTL_MS));
  return token;
}

export function readCookie(source: CookieSource, name = SESSION_COOKIE): string | null {
  if (!source) return null;
  if (typeof source !== 'string') return source.get(name)?.value ?? null;
  for (const part of source.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

export async function userForSessionToken(ctx: AuthContext, token: string | null): Promise<UserView | null> {
  if (!token || token.length > 200) return null;
  const userId = await touchSession(ctx.db, hashToken(token));
  if (!userId) return null;
  const user = await findUserById(ctx.db, userId);
  return user ? toUserView(user) : null;
}

export async function endSession(ctx: AuthContext, token: string | null): Promise<void> {
  if (token) await deleteSession(ctx.db, hashToken(token));
}

/** Set-Cookie value: HttpOnly, SameSite=Lax, Secure whenever the app is served over https. */
export function sessionCookie(ctx: AuthContext, token: string): string {
  return cookie(ctx, token, Math.floor(SESSION_TTL_MS / 1000));
}

export function clearedSessionCookie(ctx: AuthContext): string {
  return cookie(ctx, '', 0);
}

function cookie(ctx: AuthContext, value: string, maxAge: number): string {
  const secure = ctx.config.publicUrl.startsWith('https:');
  return [`${SESSION_COOKIE}=${value}`, 'Path=/', `Max-Age=${maxAge}`, 'HttpOnly', 'SameSite=Lax', ...(secure ? ['Secure'] : [])].join('; ');
}
