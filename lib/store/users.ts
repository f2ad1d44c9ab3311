import type { UserView } from '../server/types';
import type { Queryable } from './db';
import { newId, randomToken } from './ids';

export interface UserRow extends UserView {
  webauthnUserId: string;
  createdAt: string;
}

function map(r: any): UserRow {
  return {
    id: r.id,
    email: r.email,
    displayName: r.display_name,
    isAdmin: !!r.is_admin,
    webauthnUserId: r.webauthn_user_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export function toUserView(u: UserRow): UserView {
  return { id: u.id, email: u.email, displayName: u.displayName, isAdmin: u.isAdmin };
}

export async function findUserById(db: Queryable, id: string): Promise<UserRow | null> {
  const rows = await db.query('select * from users where id = $1', [id]);
  return rows[0] ? map(rows[0]) : null;
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | null> {
  const rows = await db.query('select * from users where email = $1', [email.toLowerCase()]);
  return rows[0] ? map(rows[0]) : null;
}

export async function findUserByHandle(db: Queryable, handle: string): Promise<UserRow | null> {
  const rows = await db.query('select * from users where webauthn_user_id = $1', [handle]);
  return rows[0] ? map(rows[0]) : null;
}

export async function insertUser(
  db: Queryable,
  u: { email: string; displayName?: string; isAdmin: boolean; webauthnUserId?: string },
): Promise<UserRow> {
  const rows = await db.query(
    `insert into users(id, email, display_name, is_admin, webauthn_user_id) values ($1, $2, $3, $4, $5) returning *`,
    [newId(), u.email.toLowerCase(), u.displayName ?? u.email.split('@')[0], u.isAdmin, u.webauthnUserId ?? randomToken(32)],
  );
  return map(rows[0]);
}

export async function countUsers(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: unknown }>('select count(*) as n from users');
  return Number(rows[0].n);
}

export async function setAdmin(db: Queryable, id: string, isAdmin: boolean): Promise<void> {
  await db.query('update users set is_admin = $2 where id = $1', [id, isAdmin]);
}
