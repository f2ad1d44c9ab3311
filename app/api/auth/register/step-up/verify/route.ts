import { route } from '@/lib/server/http';
import { loginVerifyBody } from '@/lib/server/schemas';
import { stepUpVerify } from '@/lib/auth/devices';

export const runtime = 'nodejs';

/** The passkey check before adding a device: marks this session as checked for a few minutes. */
export const POST = route({ auth: 'user', body: loginVerifyBody, rateLimit: 'register' }, async ({ app, viewer, sessionToken, body }) =>
  stepUpVerify(app, viewer, sessionToken, body.response as any),
);
