import webpush from 'web-push';
import type { Queryable } from '../store/db';

/** The server's VAPID key pair (RFC 8292), base64url as the Push API and web-push take them. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/**
 * The deployment's VAPID keys, made on first start. Every instance on one PostgreSQL must sign
 * with the same key (a browser's subscription is bound to the public key it was made with), so
 * a fresh pair is offered with insert-if-absent and whatever row won is read back: two instances
 * starting at once agree on one pair.
 */
export async function ensureVapidKeys(db: Queryable): Promise<VapidKeys> {
  const existing = await readVapidKeys(db);
  if (existing) return existing;
  const fresh = webpush.generateVAPIDKeys();
  await db.query('insert into notify_vapid(id, public_key, private_key) values (1, $1, $2) on conflict (id) do nothing', [fresh.publicKey, fresh.privateKey]);
  const kept = await readVapidKeys(db);
  if (!kept) throw new Error('the VAPID key pair could not be stored');
  return kept;
}

async function readVapidKeys(db: Queryable): Promise<VapidKeys | null> {
  const rows = await db.query<{ public_key: string; private_key: string }>('select public_key, private_key from notify_vapid where id = 1');
  return rows[0] ? { publicKey: rows[0].public_key, privateKey: rows[0].private_key } : null;
}
