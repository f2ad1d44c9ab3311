import { CountersignError } from '../errors';
import { insertApiToken, useApiToken, type ApiTokenRow } from '../store/api-tokens';
import { hashToken, randomToken } from '../store/ids';
import type { AuthContext } from './context';

/** Bot tokens are prefixed so they are recognisable in logs and secret scanners. */
export const API_TOKEN_PREFIX = 'cst_';

/** A bot API token (for POST /api/requests): shown once, stored as its SHA-256. */
export async function createApiToken(ctx: AuthContext, name: string, createdBy: string | null): Promise<{ token: string; row: ApiTokenRow }> {
  const clean = typeof name === 'string' ? name.replace(/[^\x20-\x7e]/g, '').trim().slice(0, 60) : '';
  if (!clean) throw new CountersignError('bad-input', 'give the token a name (what will use it, e.g. "CI")');
  const token = API_TOKEN_PREFIX + randomToken(32);
  const row = await insertApiToken(ctx.db, { name: clean, tokenHash: hashToken(token), createdBy });
  return { token, row };
}

/** The token behind an `Authorization: Bearer …` header, or null (absent, unknown or revoked). */
export async function apiTokenFromHeader(ctx: AuthContext, authorization: string | null | undefined): Promise<ApiTokenRow | null> {
  const m = /^Bearer\s+(\S{10,200})$/i.exec(authorization ?? '');
  if (!m) return null;
  return useApiToken(ctx.db, hashToken(m[1]));
}
