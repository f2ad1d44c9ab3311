import { route } from '@/lib/app/http';
import { listRepositories } from '@/lib/app/inbox';

export const runtime = 'nodejs';

export const GET = route({ auth: 'user' }, async ({ app }) => listRepositories(app));
