import { route } from '@/lib/server/http';
import { tokenBody } from '@/lib/server/schemas';
import { createApiToken } from '@/lib/auth/api-tokens';
import { listApiTokens } from '@/lib/store/api-tokens';

export const runtime = 'nodejs';

/** A bot API token for POST /api/requests, shown once. */
export const POST = route({ auth: 'admin', body: tokenBody }, async ({ app, viewer, body }) => {
  const { token } = await createApiToken(app, body.name, viewer!.id);
  return { token };
});

export const GET = route({ auth: 'admin' }, async ({ app }) => listApiTokens(app.db));
