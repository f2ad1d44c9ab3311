import { param, route, text } from '@/lib/server/http';
import { allowedSignersFile } from '@/lib/server/signers';

export const runtime = 'nodejs';

export const GET = route<undefined, { email: string }>({ auth: 'none' }, async ({ app, params }) =>
  text(await allowedSignersFile(app, safeDecode(param(params, 'email')).toLowerCase())),
);

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
