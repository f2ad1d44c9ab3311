import { json, route } from '@/lib/server/http';
import { registerVerifyBody } from '@/lib/server/schemas';
import { createSession, sessionCookie } from '@/lib/auth/sessions';
import { verifyRegistration } from '@/lib/auth/webauthn';
import { requireStepUpToAddDevice } from '@/lib/auth/devices';

export const runtime = 'nodejs';

export const POST = route({ auth: 'optional', body: registerVerifyBody, rateLimit: 'register' }, async ({ app, body, viewer, sessionToken }) => {
  await requireStepUpToAddDevice(app, { inviteToken: body.inviteToken, viewer, sessionToken });
  const out = await verifyRegistration(app, { inviteToken: body.inviteToken, deviceName: body.deviceName, response: body.response as any, viewer });
  // Enrolling signs you in (adding a device keeps the session you have).
  const headers: Record<string, string> = {};
  if (!viewer || viewer.id !== out.user.id) headers['set-cookie'] = sessionCookie(app, await createSession(app, out.user.id, out.device.id));
  return json(out, { headers });
});
