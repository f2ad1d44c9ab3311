import { route } from '@/lib/server/http';
import { listRepositories } from '@/lib/server/inbox';

export const runtime = 'nodejs';

export const GET = route({ auth: 'user' }, async ({ app }) => listRepositories(app));
