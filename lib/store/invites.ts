import type { Queryable } from './db';
import { toIso } from './db';

export interface InviteRow {
  tokenHash: string;
  email: string;
  isAdmin: boolean;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  usedBy: string | null;
}

function map(r: any): InviteRow {
  return {
    tokenHash: r.token_hash,
    email: r.email,
    isAdmin: !!r.is_admin,
    createdBy: r.created_by ?? null,
    createdAt: toIso(r.created_at)!,
    expiresAt: toIso(r.expires_at)!,
    usedAt: toIso(r.used_at),
    usedBy: r.used_by ?? null,
  };
}

export async function insertInvite(
  db: Queryable,
  i: { tokenHash: string; email: string; isAdmin: boolean; createdBy: string | null; expiresAt: Date },
): Promise<InviteRow> {
  const rows = await db.query(
    'insert into invites(token_hash, email, is_admin, created_by, expires_at) values ($1, $2, $3, $4, $5) returning *',
    [i.tokenHash, i.email.toLowerCase(), i.isAdmin, i.createdBy, i.expiresAt.toISOString()],
  );
  return map(rows[0]);
}

export async function findInvite(db: Queryable, tokenHash: string): Promise<InviteRow | null> {
  const rows = await db.query('select * from invites where token_hash = $1', [tokenHash]);
  return rows[0] ? map(rows[0]) : null;
}

/** Marks the invite used if and only if it is still unused and unexpired; atomic, so it works once. */
export async function consumeInvite(db: Queryable, tokenHash: string, userId: string): Promise<InviteRow | null> {
  const rows = await db.query(
    `update invites set used_at = now(), used_by = $2
     where token_hash = $1 and used_at is null and expires_at > now() returning *`,
    [tokenHash, userId],
  );
  return rows[0] ? map(rows[0]) : null;
}

export async function listInvites(db: Queryable): Promise<InviteRow[]> {
  return (await db.query('select * from invites order by created_at desc limit 200')).map(map);
}
