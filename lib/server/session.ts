import { readCookie, userForSessionToken, type CookieSource } from '../auth/sessions';
import { getApp, type App } from './app';
import type { UserView } from './types';

/**
 * The signed-in user for a request: pass the Cookie header, or Next's `await cookies()` store.
 * Uses the process's app unless one is given (tests).
 */
export async function getSessionUser(source: CookieSource, app?: App): Promise<UserView | null> {
  const token = readCookie(source);
  if (!token) return null;
  return userForSessionToken(app ?? (await getApp()), token);
}
