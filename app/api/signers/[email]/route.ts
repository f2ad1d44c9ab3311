import { param, route, text } from '@/lib/server/http';
import { allowedSignersFile } from '@/lib/server/signers';

export const runtime = 'nodejs';

/** One user's keys, like a forge's /<user>.keys: public, no device names. */
export const GET = route<undefined, { email: string }>({ auth: 'none' }, async ({ app, params }) =>
  text(await allowedSignersFile(app, param(params, 'email').toLowerCase())),
);

