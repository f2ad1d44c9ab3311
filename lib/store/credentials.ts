import type { Queryable } from './db';
import { toBytes, toIso, toNum } from './db';

export interface CredentialRow {
  id: string;
  userId: string;
  publicKey: Uint8Array; // COSE
  rpId: string;
  sshKey: string;
  fingerprint: string;
  counter: number;
  transports: string[];
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function map(r: any): CredentialRow {
  let transports: string[] = [];
  try {
    transports = JSON.parse(r.transports);
  } catch {
    /* keep empty */
  }
  return {
    id: r.id,
    userId: r.user_id,
    publicKey: toBytes(r.public_key),
    rpId: r.rp_id,
    sshKey: r.ssh_key,
    fingerprint: r.fingerprint,
    counter: toNum(r.counter),
    transports,
    name: r.name,
    createdAt: toIso(r.created_at)!,
    lastUsedAt: toIso(r.last_used_at),
    revokedAt: toIso(r.revoked_at),
  };
}

/**
 * Stores a credential just registered. Registering is a use of the passkey (the person unlocked
 * it with a fingerprint, face or PIN), so it is also its first last-used time.
 */
export async function insertCredential(
  db: Queryable,
  c: Omit<CredentialRow, 'createdAt' | 'lastUsedAt' | 'revokedAt'>,
): Promise<CredentialRow> {
  const rows = await db.query(
    `insert into credentials(id, user_id, public_key, rp_id, ssh_key, fingerprint, counter, transports, name, last_used_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now()) returning *`,
    [c.id, c.userId, c.publicKey, c.rpId, c.sshKey, c.fingerprint, c.counter, JSON.stringify(c.transports), c.name],
  );
  return map(rows[0]);
}

export async function findCredential(db: Queryable, id: string): Promise<CredentialRow | null> {
  const rows = await db.query('select * from credentials where id = $1', [id]);
  return rows[0] ? map(rows[0]) : null;
}

export async function listCredentials(db: Queryable, userId: string, opts: { includeRevoked?: boolean } = {}): Promise<CredentialRow[]> {
  const rows = await db.query(
    `select * from credentials where user_id = $1 ${opts.includeRevoked ? '' : 'and revoked_at is null'} order by created_at, id`,
    [userId],
  );
  return rows.map(map);
}

/** Every non-revoked credential with its owner's e-mail, for GET /api/signers. */
export async function listActiveKeys(db: Queryable, email?: string): Promise<(CredentialRow & { email: string })[]> {
  const rows = await db.query(
    `select c.*, u.email from credentials c join users u on u.id = c.user_id
     where c.revoked_at is null ${email ? 'and u.email = $1' : ''} order by u.email, c.created_at, c.id`,
    email ? [email.toLowerCase()] : [],
  );
  return rows.map((r: any) => ({ ...map(r), email: r.email }));
}

/** A sign-in or an approval with this passkey: its counter and last-used time. */
export async function recordUse(db: Queryable, id: string, counter: number): Promise<void> {
  await db.query('update credentials set counter = greatest(counter, $2), last_used_at = now() where id = $1', [id, counter]);
}

export async function renameCredential(db: Queryable, id: string, userId: string, name: string): Promise<CredentialRow | null> {
  const rows = await db.query('update credentials set name = $3 where id = $1 and user_id = $2 returning *', [id, userId, name]);
  return rows[0] ? map(rows[0]) : null;
}

export async function revokeCredential(db: Queryable, id: string, userId: string): Promise<CredentialRow | null> {
  const rows = await db.query(
    'update credentials set revoked_at = coalesce(revoked_at, now()) where id = $1 and user_id = $2 returning *',
    [id, userId],
  );
  return rows[0] ? map(rows[0]) : null;
}
