import { param, route } from '@/lib/server/http';
import { renameBody } from '@/lib/server/schemas';
import { renameDevice, revokeDevice } from '@/lib/auth/devices';

export const runtime = 'nodejs';

type P = { id: string };

export const PATCH = route<{ name: string }, P>({ auth: 'user', body: renameBody }, async ({ app, viewer, body, params }) =>
  renameDevice(app, viewer!, param(params, 'id'), body.name),
);

/** Revokes: the device can no longer sign in or approve. */
export const DELETE = route<undefined, P>({ auth: 'user' }, async ({ app, viewer, params }) => revokeDevice(app, viewer!, param(params, 'id')));
