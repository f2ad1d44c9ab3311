import { DEFAULT_INVITE_TTL_MS } from '../auth/invites';
import type { Queryable } from '../store/db';
import { LIVENESS_LOCK_CLASS } from './link';

/**
 * Whether this instance is the one to create and print the first admin's invite. One row decides,
 * atomically: the first instance to insert it announces; another takes it over only when the
 * announcer is gone (its liveness lock is free: it was stopped or restarted, and its printed link
 * went with its log) or its invite has expired. So instances started together print one invite,
 * and a restart of the only one prints a fresh one, as a single instance always did.
 */
export async function claimFirstAdminAnnouncement(db: Queryable, instanceId: number): Promise<boolean> {
  const rows = await db.query(
    `insert into first_admin_announcement(id, instance_id) values (1, $1)
     on conflict (id) do update set instance_id = excluded.instance_id, announced_at = now()
     where first_admin_announcement.announced_at < now() - ($3 || ' milliseconds')::interval
        or not exists (select 1 from pg_locks where locktype = 'advisory' and classid::bigint = $2
                       and objid::bigint = first_admin_announcement.instance_id and objsubid = 2 and granted
           and database = (select oid from pg_database where datname = current_database()))
     returning id`,
    [instanceId, LIVENESS_LOCK_CLASS, String(DEFAULT_INVITE_TTL_MS)],
  );
  return rows.length > 0;
}
