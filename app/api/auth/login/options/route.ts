import { route } from '@/lib/server/http';
import { emptyBody } from '@/lib/server/schemas';
import { loginOptions } from '@/lib/auth/webauthn';

export const runtime = 'nodejs';

/** Discoverable credentials (empty allowCredentials): also what conditional UI / autofill uses. */
export const POST = route({ auth: 'none', body: emptyBody, rateLimit: 'login' }, async ({ app }) => loginOptions(app));
