import { route } from '@/lib/server/http';
import { createRequest } from '@/lib/server/requests';
import { requestBody } from '@/lib/server/schemas';

export const runtime = 'nodejs';

/** A signed-in user, or a bot with `Authorization: Bearer <token>`, asks for signatures on a commit (or, with `base`, a change). */
export const POST = route({ auth: 'user-or-token', body: requestBody }, async ({ app, viewer, token, body }) =>
  createRequest(app, { repo: body.repo, commit: body.commit, base: body.base, requestedBy: viewer ? viewer.email : `bot:${token!.name}` }),
);
