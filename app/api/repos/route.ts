import { publicRemote } from '@/lib/config/config';
import { route } from '@/lib/server/http';
import { listRepositories } from '@/lib/server/inbox';

export const runtime = 'nodejs';

/** The configured repositories; a remote URL's user name and password (credentials) are never shown. */
export const GET = route({ auth: 'user' }, async ({ app }) => (await listRepositories(app)).map((r) => ({ ...r, remote: publicRemote(r.remote) })));
