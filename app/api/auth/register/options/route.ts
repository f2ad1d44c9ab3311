import { registerOptionsBody } from '@/lib/server/schemas';
import { route } from '@/lib/server/http';
import { registrationOptions } from '@/lib/auth/webauthn';

export const runtime = 'nodejs';

/** With an invite: options to enroll a new user. Without: a signed-in user adding a device. */
export const POST = route({ auth: 'optional', body: registerOptionsBody, rateLimit: 'register' }, async ({ app, body, viewer }) =>
  registrationOptions(app, { inviteToken: body.inviteToken, viewer }),
);
