import { reviewWithBase } from '@/lib/server/change';
import { param, route } from '@/lib/server/http';

export const runtime = 'nodejs';

type P = { repo: string; commit: string };

/** The review screen's data; `?base=REV` (a branch, a full or abbreviated id) for the change from there. */
export const GET = route<undefined, P>({ auth: 'optional' }, async ({ app, viewer, params, req }) =>
  reviewWithBase(app, param(params, 'repo'), param(params, 'commit'), viewer, new URL(req.url).searchParams.get('base')),
);
