import { param, route } from '@/lib/server/http';
import { commitSignatures } from '@/lib/server/review';

export const runtime = 'nodejs';

type P = { repo: string; commit: string };

/** For bots: every line, who signed, whether it verifies and why not, and whether the policy is met. No auth. */
export const GET = route<undefined, P>({ auth: 'none' }, async ({ app, params }) => commitSignatures(app, param(params, 'repo'), param(params, 'commit')));
