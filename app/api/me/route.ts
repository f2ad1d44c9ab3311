import { route } from '@/lib/server/http';
import { listDevices } from '@/lib/auth/devices';

export const runtime = 'nodejs';

export const GET = route({ auth: 'user' }, async ({ app, viewer }) => ({ user: viewer!, devices: await listDevices(app, viewer!) }));
