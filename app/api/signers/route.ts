import { route, text } from '@/lib/server/http';
import { allowedSignersFile } from '@/lib/server/signers';

export const runtime = 'nodejs';

/** Every enrolled, non-revoked passkey as an allowed_signers file (like a forge's /<user>.keys). */
export const GET = route({ auth: 'none' }, async ({ app }) => text(await allowedSignersFile(app)));
