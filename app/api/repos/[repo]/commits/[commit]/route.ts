import { param, route } from '@/lib/server/http';
import { getReview } from '@/lib/server/review';

export const runtime = 'nodejs';

type P = { repo: string; commit: string };

export const GET = route<undefined, P>({ auth: 'optional' }, async ({ app, viewer, params }) =>
  getReview(app, param(params, 'repo'), param(params, 'commit'), viewer),
);
