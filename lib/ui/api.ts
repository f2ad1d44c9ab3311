/**
 * The browser side of the JSON API: same-origin requests with the session cookie, and every
 * non-2xx answer turned into an ApiError carrying the server's `{error}` message.
 */

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** The message of an error body, falling back to something a person can act on. */
export function errorMessageFrom(status: number, body: unknown): string {
  if (body && typeof body === 'object' && 'error' in body && typeof (body as { error: unknown }).error === 'string') {
    return (body as { error: string }).error;
  }
  if (status === 401) return 'You are signed out. Sign in again.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many attempts. Wait a minute and try again.';
  if (status >= 500) return 'The server had a problem. Try again in a moment.';
  return `Request failed (${status}).`;
}

export async function apiRequest<T>(method: string, path: string, body?: unknown, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      ...init,
    });
  } catch {
    throw new ApiError(0, 'No connection to the server. Check your network and try again.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.status === 401 && typeof window !== 'undefined') {
    // The session is gone (expired, revoked, signed out): nothing of it may stay readable offline.
    void import('./offline-cache').then((m) => m.clearOfflineCache()).catch(() => undefined);
  }
  if (!res.ok) throw new ApiError(res.status, errorMessageFrom(res.status, parsed));
  return parsed as T;
}

export const apiPost = <T>(path: string, body: unknown = {}) => apiRequest<T>('POST', path, body);
export const apiGet = <T>(path: string) => apiRequest<T>('GET', path);
