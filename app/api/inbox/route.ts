import { route } from '@/lib/server/http';
import { getInbox } from '@/lib/server/inbox';

export const runtime = 'nodejs';

export const GET = route({ auth: 'user' }, async ({ app, viewer }) => getInbox(app, viewer!));
