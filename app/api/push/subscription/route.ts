import { route } from '@/lib/server/http';
import { endpointBody, subscribe, subscriptionBody, unsubscribe } from '@/lib/notify/api';

export const runtime = 'nodejs';

/** Turns notifications on for this browser (body: PushSubscription.toJSON()). */
export const POST = route({ auth: 'user', body: subscriptionBody }, async ({ app, viewer, sessionToken, body }) => subscribe(app, viewer, sessionToken, body));

/** Turns them off for this browser (body: {endpoint}). */
export const DELETE = route({ auth: 'user', body: endpointBody }, async ({ app, viewer, body }) => unsubscribe(app, viewer, body));
