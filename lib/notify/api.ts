import { z } from 'zod';
import { AuthRequiredError } from '../auth/context';
import { CountersignError } from '../errors';
import { hashToken } from '../store/ids';
import type { Db } from '../store/db';
import type { Config } from '../config/config';
import type { UserView } from '../server/types';
import { notifierOf } from '.';
import { checkSubscription } from './subscribe';
import {
  countSubscriptionsOfUser,
  deleteSubscriptionByEndpoint,
  deleteSubscriptionsOfCredential,
  sessionDevice,
  subscriptionCountsByCredential,
  upsertSubscription,
} from './store';

/** What the thin routes under app/api/push/ call. */
interface Ctx {
  config: Config;
  db: Db;
}

/** PushSubscription.toJSON() as the browser sends it (expirationTime is ignored). */
export const subscriptionBody = z.object({
  endpoint: z.string().min(1).max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) }),
});
export const endpointBody = z.strictObject({ endpoint: z.string().min(1).max(2048) });

/** Browsers per user at most: every notification fans out to all of them. */
export const MAX_SUBSCRIPTIONS_PER_USER = 20;

export async function vapidPublicKey(app: object): Promise<{ publicKey: string }> {
  const n = notifierOf(app);
  if (!n) throw new CountersignError('conflict', 'notifications are not running on this server');
  return { publicKey: await n.vapidPublicKey() };
}

/**
 * Turns notifications on for this browser: the subscription is kept for the session (and the
 * passkey that opened it), and ends with it — sign-out here, the session expiring, or the device
 * being revoked (the session rows go, and the subscription with them: see migration 7).
 */
export async function subscribe(app: Ctx, viewer: UserView | null, sessionToken: string | null, body: z.infer<typeof subscriptionBody>): Promise<{ device: string | null }> {
  if (!viewer || !sessionToken) throw new AuthRequiredError('sign in to turn notifications on');
  const input = checkSubscription(app.config, { endpoint: body.endpoint, keys: body.keys });
  const session = await sessionDevice(app.db, hashToken(sessionToken));
  if (!session || session.userId !== viewer.id) throw new AuthRequiredError('this session has ended; sign in again');
  if ((await countSubscriptionsOfUser(app.db, viewer.id)) >= MAX_SUBSCRIPTIONS_PER_USER) {
    throw new CountersignError('conflict', `you have notifications on in ${MAX_SUBSCRIPTIONS_PER_USER} browsers already; turn some off on the Devices page first`);
  }
  await upsertSubscription(app.db, {
    userId: viewer.id,
    credentialId: session.credentialId,
    sessionHash: hashToken(sessionToken),
    endpoint: input.endpoint,
    p256dh: input.keys.p256dh,
    auth: input.keys.auth,
  });
  return { device: session.credentialId };
}

/** This browser turns notifications off (or unsubscribed itself). Unknown endpoints are fine: idempotent. */
export async function unsubscribe(app: Ctx, viewer: UserView | null, body: z.infer<typeof endpointBody>): Promise<{ removed: boolean }> {
  if (!viewer) throw new AuthRequiredError();
  return { removed: await deleteSubscriptionByEndpoint(app.db, viewer.id, body.endpoint) };
}

/** Turns notifications off for every browser of one of the viewer's devices (from any device). */
export async function turnOffDevice(app: Ctx, viewer: UserView | null, credentialId: string): Promise<{ removed: number }> {
  if (!viewer) throw new AuthRequiredError();
  return { removed: await deleteSubscriptionsOfCredential(app.db, viewer.id, credentialId) };
}

/** For the Devices page: the passkey of this session, and how many browsers each device notifies. */
export async function notificationState(app: Ctx, viewer: UserView, sessionToken: string | null): Promise<{ thisDevice: string | null; byDevice: Record<string, number> }> {
  const session = sessionToken ? await sessionDevice(app.db, hashToken(sessionToken)) : null;
  const counts = await subscriptionCountsByCredential(app.db, viewer.id);
  return { thisDevice: session && session.userId === viewer.id ? session.credentialId : null, byDevice: Object.fromEntries(counts) };
}
