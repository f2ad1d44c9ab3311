import type { UserView } from '../server/types';
import { CountersignError } from '../errors';
import { deleteSession, insertSession, markSessionVerified, sessionVerifiedAt, touchSession } from '../store/sessions';
import { hashToken, randomToken } from '../store/ids';
import { findUserById, toUserView } from '../store/users';
import type { AuthContext } from './context';

export const SESSION_COOKIE = 'cs_session';
/**
 * A session lasts on its device: it ends after 30 days without use (each use slides it), after a
 * year in any case, at sign-out, or at once when the passkey that opened it is revoked. Every
 * sign-in is a passkey ceremony that a compromised server could put to another use (README,
 * "What a compromised server can do"), so fewer of them is safer as well as easier.
 */
export const SESSION_IDLE_MS = 30 * 24 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 365 * 24 * 60 * 60 * 1000;
/** Adding a device needs a passkey check this recent (sign-in, enrollment or a step-up check). */
export const STEP_UP_MS = 5 * 60 * 1000;

/** Something that yields the session cookie: a Cookie header, or Next's cookies() store. */
export type CookieSource = string | null | undefined | { get(name: string): { value: string } | undefined };

/** A new session for the user, bound to the passkey that proved it (revoking that passkey ends it). */
export async function createSession(ctx: AuthContext, userId: string, credentialId: string | null): Promise<string> {
  const token = randomToken(32);
  await insertSession(ctx.db, hashToken(token), userId, credentialId, new Date(Date.now() + SESSION_IDLE_MS));
  return token;
}

export function readCookie(source: CookieSource, name = SESSION_COOKIE): string | null {
  if (!source) return null;
  if (typeof source !== 'string') return source.get(name)?.value ?? null;
  for (const part of source.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return null; // a malformed cookie is no session
      }
    }
  }
  return null;
}

export async function userForSessionToken(ctx: AuthContext, token: string | null): Promise<UserView | null> {
  if (!token || token.length > 200) return null;
  const userId = await touchSession(ctx.db, hashToken(token), SESSION_IDLE_MS, SESSION_MAX_MS);
  if (!userId) return null;
  const user = await findUserById(ctx.db, userId);
  return user ? toUserView(user) : null;
}

export async function endSession(ctx: AuthContext, token: string | null): Promise<void> {
  if (token) await deleteSession(ctx.db, hashToken(token));
}

/** Whether this session's last passkey check is recent enough to add a device, and until when. */
export async function passkeyCheckFreshUntil(ctx: AuthContext, token: string | null, now = Date.now()): Promise<string | null> {
  if (!token || token.length > 200) return null;
  const at = await sessionVerifiedAt(ctx.db, hashToken(token));
  if (!at) return null;
  const until = Date.parse(at) + STEP_UP_MS;
  return until > now ? new Date(until).toISOString() : null;
}

/** Refuses (403) unless a passkey was checked for this session within STEP_UP_MS. */
export async function requireFreshPasskeyCheck(ctx: AuthContext, token: string | null): Promise<void> {
  if (!(await passkeyCheckFreshUntil(ctx, token))) {
    throw new CountersignError(
      'forbidden',
      `adding a device needs a passkey check from the last ${STEP_UP_MS / 60_000} minutes: confirm with a passkey you already have first (Devices, "Add another device"); nothing was added`,
    );
  }
}

/** Records a passkey check (step-up) on this session of `userId`. */
export async function recordPasskeyCheck(ctx: AuthContext, token: string | null, userId: string): Promise<void> {
  if (!token || !(await markSessionVerified(ctx.db, hashToken(token), userId))) {
    throw new CountersignError('forbidden', 'this session has ended; sign in again');
  }
}

/** Set-Cookie value: HttpOnly, SameSite=Lax, Secure whenever the app is served over https. */
export function sessionCookie(ctx: AuthContext, token: string): string {
  // The browser keeps the cookie as long as the session can live; the server decides when it ends.
  return cookie(ctx, token, Math.floor(SESSION_MAX_MS / 1000));
}

export function clearedSessionCookie(ctx: AuthContext): string {
  return cookie(ctx, '', 0);
}

function cookie(ctx: AuthContext, value: string, maxAge: number): string {
  const secure = ctx.config.publicUrl.startsWith('https:');
  return [`${SESSION_COOKIE}=${value}`, 'Path=/', `Max-Age=${maxAge}`, 'HttpOnly', 'SameSite=Lax', ...(secure ? ['Secure'] : [])].join('; ');
}
