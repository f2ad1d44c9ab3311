import { approveVerify } from '@/lib/server/approve';
import { param, route } from '@/lib/server/http';
import { approveVerifyBody } from '@/lib/server/schemas';
import type { z } from 'zod';

export const runtime = 'nodejs';

type P = { repo: string; commit: string };

export const POST = route<z.infer<typeof approveVerifyBody>, P>(
  { auth: 'user', body: approveVerifyBody, rateLimit: 'approve', rateLimitBy: 'user' },
  async ({ app, viewer, params, body }) => approveVerify(app, viewer, param(params, 'repo'), param(params, 'commit'), body as any),
);
