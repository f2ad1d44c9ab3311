import { approveOptions } from '@/lib/server/approve';
import { param, route } from '@/lib/server/http';
import { approveOptionsBody } from '@/lib/server/schemas';

export const runtime = 'nodejs';

type P = { repo: string; commit: string };

export const POST = route<{ verdict: 'approve'; base?: string }, P>({ auth: 'user', body: approveOptionsBody, rateLimit: 'approve', rateLimitBy: 'user' }, async ({ app, viewer, params, body }) =>
  approveOptions(app, viewer, param(params, 'repo'), param(params, 'commit'), body),
);
