import type { Queryable } from '../store/db';
import { toIso } from '../store/db';
import { newId } from '../store/ids';

/** A browser's push subscription (PushSubscription.toJSON()), stored for the session that made it. */
export interface PushSubscriptionRow {
  id: string;
  userId: string;
  credentialId: string | null;
  endpoint: string;
  p256dh: string;
  auth: string;
  createdAt: string;
}

function map(r: any): PushSubscriptionRow {
  return {
    id: r.id,
    userId: r.user_id,
    credentialId: r.credential_id ?? null,
    endpoint: r.endpoint,
    p256dh: r.p256dh,
    auth: r.auth,
    createdAt: toIso(r.created_at)!,
  };
}

/**
 * Stores a subscription for the session `sessionHash` (its device). The endpoint is the browser's
 * identity at the push service: subscribing again (new keys, or another user on the same browser)
 * replaces the row, so one browser never notifies two people.
 */
export async function upsertSubscription(
  db: Queryable,
  s: { userId: string; credentialId: string | null; sessionHash: string; endpoint: string; p256dh: string; auth: string },
): Promise<PushSubscriptionRow> {
  const rows = await db.query(
    `insert into push_subscriptions(id, user_id, credential_id, session_hash, endpoint, p256dh, auth) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (endpoint) do update set user_id = excluded.user_id, credential_id = excluded.credential_id,
       session_hash = excluded.session_hash, p256dh = excluded.p256dh, auth = excluded.auth, created_at = now()
     returning *`,
    [newId(), s.userId, s.credentialId, s.sessionHash, s.endpoint, s.p256dh, s.auth],
  );
  return map(rows[0]);
}

export async function subscriptionsOfUser(db: Queryable, userId: string): Promise<PushSubscriptionRow[]> {
  return (await db.query('select * from push_subscriptions where user_id = $1 order by created_at, id', [userId])).map(map);
}

export async function countSubscriptionsOfUser(db: Queryable, userId: string): Promise<number> {
  const rows = await db.query<{ n: unknown }>('select count(*) as n from push_subscriptions where user_id = $1', [userId]);
  return Number(rows[0]?.n ?? 0);
}

/** Removes the user's subscription with this endpoint (the browser turned notifications off); false if none. */
export async function deleteSubscriptionByEndpoint(db: Queryable, userId: string, endpoint: string): Promise<boolean> {
  return (await db.query('delete from push_subscriptions where user_id = $1 and endpoint = $2 returning id', [userId, endpoint])).length > 0;
}

/** Every subscription made on one device of the user (turned off from another device's page). */
export async function deleteSubscriptionsOfCredential(db: Queryable, userId: string, credentialId: string): Promise<number> {
  return (await db.query('delete from push_subscriptions where user_id = $1 and credential_id = $2 returning id', [userId, credentialId])).length;
}

/** The push service says the subscription is gone (404/410). Only that row: the endpoint may have been re-subscribed since. */
export async function deleteSubscription(db: Queryable, id: string, endpoint: string): Promise<void> {
  await db.query('delete from push_subscriptions where id = $1 and endpoint = $2', [id, endpoint]);
}

export async function markSent(db: Queryable, id: string): Promise<void> {
  await db.query('update push_subscriptions set last_sent_at = now() where id = $1', [id]);
}

/** Per device of the user: how many browsers get notifications through it. */
export async function subscriptionCountsByCredential(db: Queryable, userId: string): Promise<Map<string, number>> {
  const rows = await db.query<{ credential_id: string | null; n: unknown }>(
    'select credential_id, count(*) as n from push_subscriptions where user_id = $1 group by credential_id',
    [userId],
  );
  return new Map(rows.filter((r) => r.credential_id).map((r) => [r.credential_id as string, Number(r.n)]));
}

/**
 * Claims a notification that must go out once (an alarm for a line, a request reaching its
 * policy): true for the one caller — across instances and restarts — that inserted the key.
 */
export async function claimOnce(db: Queryable, kind: string, key: string): Promise<boolean> {
  return (await db.query('insert into notify_sent(kind, key) values ($1, $2) on conflict do nothing returning key', [kind, key])).length > 0;
}

/** The open review requests for one commit of a repository (the requester is told when it is covered). */
export async function requestsForCommit(db: Queryable, repo: string, commitId: string): Promise<{ id: string; base: string | null; requestedBy: string }[]> {
  const rows = await db.query<{ id: string; base: string | null; requested_by: string }>(
    'select id, base, requested_by from review_requests where repo = $1 and commit_id = $2',
    [repo, commitId],
  );
  return rows.map((r) => ({ id: r.id, base: r.base ?? null, requestedBy: r.requested_by }));
}

/** Every user (id and e-mail): reviewers are those whom a repository's allowed_signers lists. */
export async function allUsers(db: Queryable): Promise<{ id: string; email: string }[]> {
  return db.query<{ id: string; email: string }>('select id, email from users order by created_at, id');
}

/** The user and device (passkey) of a session, by its token hash; null when it has ended. */
export async function sessionDevice(db: Queryable, tokenHash: string): Promise<{ userId: string; credentialId: string | null } | null> {
  const rows = await db.query<{ user_id: string; credential_id: string | null }>('select user_id, credential_id from sessions where token_hash = $1', [tokenHash]);
  return rows[0] ? { userId: rows[0].user_id, credentialId: rows[0].credential_id ?? null } : null;
}
