import { route } from '@/lib/app/http';
import { getInbox } from '@/lib/app/inbox';

export const runtime = 'nodejs';

export const GET = route({ auth: 'user' }, async ({ app, viewer }) => getInbox(app, viewer!));
