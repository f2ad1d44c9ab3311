import { json, route } from '@/lib/server/http';
import { loginVerifyBody } from '@/lib/server/schemas';
import { createSession, sessionCookie } from '@/lib/auth/sessions';
import { verifyLogin } from '@/lib/auth/webauthn';

export const runtime = 'nodejs';

export const POST = route({ auth: 'none', body: loginVerifyBody, rateLimit: 'login' }, async ({ app, body }) => {
  const { user, credential } = await verifyLogin(app, body.response as any);
  return json({ user }, { headers: { 'set-cookie': sessionCookie(app, await createSession(app, user.id, credential.id)) } });
});
