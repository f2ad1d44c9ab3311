import { route } from '@/lib/server/http';
import { emptyBody } from '@/lib/server/schemas';
import { stepUpOptions } from '@/lib/auth/devices';

export const runtime = 'nodejs';

/** Before adding a device: `{fresh: true}` if a passkey was checked minutes ago, else a check to perform with one of your passkeys. */
export const POST = route({ auth: 'user', body: emptyBody, rateLimit: 'register' }, async ({ app, viewer, sessionToken }) =>
  stepUpOptions(app, viewer, sessionToken),
);
