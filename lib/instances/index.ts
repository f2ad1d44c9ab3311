/**
 * Several instances, one service (PostgreSQL only; on the embedded database there is one instance
 * per data directory and all of this is a no-op): each instance registers and holds a liveness
 * lock, tells the others about the lines it publishes (LISTEN/NOTIFY), lets the others' commits be
 * fetched on demand, drops its own unpublished lines that another instance superseded, and agrees
 * with the others on who prints the first admin's invite.
 */
import type { Config } from '../config/config';
import { setServiceKnowledge } from '../server/commits';
import type { AppEvents } from '../server/events';
import type { Publisher } from '../server/publisher';
import type { RepoHandle } from '../server/repos';
import type { Db } from '../store/db';
import { claimFirstAdminAnnouncement } from './first-admin';
import { wireLineNotices } from './lines';
import { InstanceLink } from './link';
import { retractSupersededLines } from './reconcile';

export interface InstanceHost {
  config: Config;
  db: Db;
  repos: Map<string, RepoHandle>;
  publisher: Publisher;
  events: AppEvents;
}

export interface Instance {
  id: number;
  /** Whether instance `id` (of a claim, an announcement) is still running. */
  alive(id: number): Promise<boolean>;
  close(): Promise<void>;
  /** Tests: drop the LISTEN connection as a network failure would. */
  link: InstanceLink;
}

const instances = new WeakMap<object, Instance>();

/** This app's instance, or null on the embedded database. */
export function instanceOf(app: { db: Db }): Instance | null {
  return instances.get(app.db) ?? null;
}

/**
 * Joins the service. Call before the publisher starts: its first push (of lines saved before a
 * restart) must skip lines another instance superseded.
 */
export async function startInstances(app: InstanceHost, log: (l: string) => void): Promise<Instance | null> {
  if (app.db.kind !== 'postgres' || !app.config.databaseUrl) return null;
  let notices: ReturnType<typeof wireLineNotices> | null = null;
  const link = await InstanceLink.open({
    url: app.config.databaseUrl,
    db: app.db,
    onNotify: (p) => notices?.receive(p),
    onReconnect: () => notices?.refreshAll(),
    log,
  });
  notices = wireLineNotices({ instanceId: link.id, events: app.events, publisher: app.publisher, repos: app.repos, notify: (p) => link.notify(p), log });
  for (const [name, repo] of app.repos) {
    // A commit another instance prepared an approval of, or was asked to review, is one this
    // instance may fetch for an anonymous caller too (a bot's GET …/signatures).
    setServiceKnowledge(repo, async (commit) => {
      const rows = await app.db.query(
        `select 1 from challenges where repo = $1 and commit_id = $2
         union all select 1 from approval_claims where repo = $1 and commit_id = $2
         union all select 1 from review_requests where repo = $1 and commit_id = $2 limit 1`,
        [name, commit],
      );
      return rows.length > 0;
    });
  }
  app.publisher.beforeRepublish(async (name, notesRef) => {
    const dropped = await retractSupersededLines(app.db, app.repos.get(name)!, notesRef);
    if (dropped.length > 0) {
      log(`countersign: dropped ${dropped.length} unpublished line(s) of "${name}": another instance recorded those approvals meanwhile`);
    }
  });
  const instance: Instance = {
    id: link.id,
    alive: (id) => link.alive(id),
    close: () => link.close(),
    link,
  };
  instances.set(app.db, instance);
  return instance;
}

/** Whether this instance should print the first admin's invite (always, on the embedded database). */
export async function mayAnnounceFirstAdmin(app: { db: Db }): Promise<boolean> {
  const me = instanceOf(app);
  return me ? claimFirstAdminAnnouncement(app.db, me.id) : true;
}
