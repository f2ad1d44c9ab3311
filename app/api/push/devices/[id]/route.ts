import { param, route } from '@/lib/server/http';
import { turnOffDevice } from '@/lib/notify/api';

export const runtime = 'nodejs';

/** Turns notifications off on every browser of one of your devices (e.g. a phone you cannot reach). */
export const DELETE = route<undefined, { id: string }>({ auth: 'user' }, async ({ app, viewer, params }) => turnOffDevice(app, viewer, param(params, 'id')));
