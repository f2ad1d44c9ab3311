import { route } from '@/lib/server/http';
import { inviteBody } from '@/lib/server/schemas';
import { createInvite } from '@/lib/auth/invites';
import { listInvites } from '@/lib/store/invites';

export const runtime = 'nodejs';

export const POST = route({ auth: 'admin', body: inviteBody }, async ({ app, viewer, body }) => {
  const invite = await createInvite(app, body.email, { admin: body.admin, createdBy: viewer!.id });
  return { url: invite.url, expiresAt: invite.expiresAt };
});

/** Recent invites (never their tokens). */
export const GET = route({ auth: 'admin' }, async ({ app }) =>
  (await listInvites(app.db)).map((i) => ({ email: i.email, admin: i.isAdmin, createdAt: i.createdAt, expiresAt: i.expiresAt, usedAt: i.usedAt })),
);
