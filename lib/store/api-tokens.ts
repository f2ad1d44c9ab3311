import type { Queryable } from './db';
import { toIso } from './db';
import { newId } from './ids';

export interface ApiTokenRow {
  id: string;
  name: string;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function map(r: any): ApiTokenRow {
  return {
    id: r.id,
    name: r.name,
    createdBy: r.created_by ?? null,
    createdAt: toIso(r.created_at)!,
    lastUsedAt: toIso(r.last_used_at),
    revokedAt: toIso(r.revoked_at),
  };
}

export async function insertApiToken(db: Queryable, t: { name: string; tokenHash: string; createdBy: string | null }): Promise<ApiTokenRow> {
  const rows = await db.query('insert into api_tokens(id, name, token_hash, created_by) values ($1, $2, $3, $4) returning *', [
    newId(),
    t.name,
    t.tokenHash,
    t.createdBy,
  ]);
  return map(rows[0]);
}

export async function useApiToken(db: Queryable, tokenHash: string): Promise<ApiTokenRow | null> {
  const rows = await db.query(
    'update api_tokens set last_used_at = now() where token_hash = $1 and revoked_at is null returning *',
    [tokenHash],
  );
  return rows[0] ? map(rows[0]) : null;
}

export async function listApiTokens(db: Queryable): Promise<ApiTokenRow[]> {
  return (await db.query('select * from api_tokens order by created_at desc')).map(map);
}

export async function revokeApiToken(db: Queryable, id: string): Promise<ApiTokenRow | null> {
  const rows = await db.query('update api_tokens set revoked_at = coalesce(revoked_at, now()) where id = $1 returning *', [id]);
  return rows[0] ? map(rows[0]) : null;
}
