import { route } from '@/lib/server/http';
import { emptyBody } from '@/lib/server/schemas';
import { clearedSessionCookie, endSession } from '@/lib/auth/sessions';

export const runtime = 'nodejs';

export const POST = route({ auth: 'none', body: emptyBody }, async ({ app, sessionToken }) => {
  await endSession(app, sessionToken);
  return new Response(null, { status: 204, headers: { 'set-cookie': clearedSessionCookie(app), 'cache-control': 'no-store' } });
});
