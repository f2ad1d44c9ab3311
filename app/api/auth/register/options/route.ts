import { registerOptionsBody } from '@/lib/server/schemas';
import { route } from '@/lib/server/http';
import { registrationOptions } from '@/lib/auth/webauthn';
import { requireStepUpToAddDevice } from '@/lib/auth/devices';

export const runtime = 'nodejs';

/** With an invite: options to enroll a new user. Without: a signed-in user adding a device (after a recent passkey check). */
export const POST = route({ auth: 'optional', body: registerOptionsBody, rateLimit: 'register' }, async ({ app, body, viewer, sessionToken }) => {
  await requireStepUpToAddDevice(app, { inviteToken: body.inviteToken, viewer, sessionToken });
  return registrationOptions(app, { inviteToken: body.inviteToken, viewer });
});
