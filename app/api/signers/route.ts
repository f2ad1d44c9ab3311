import { route, text } from '@/lib/server/http';
import { allowedSignersFile } from '@/lib/server/signers';

export const runtime = 'nodejs';

/** Every enrolled, non-revoked passkey as an allowed_signers file, with device names: signed-in users only. */
export const GET = route({ auth: 'user' }, async ({ app }) => text(await allowedSignersFile(app, undefined, { deviceNames: true })));
