import { route } from '@/lib/server/http';
import { vapidPublicKey } from '@/lib/notify/api';

export const runtime = 'nodejs';

/** The server's VAPID public key: the applicationServerKey for pushManager.subscribe(). */
export const GET = route({ auth: 'none' }, async ({ app }) => vapidPublicKey(app));
