import { hostname } from 'node:os';
import pg from 'pg';
import type { Db } from '../store/db';

/** Advisory lock class of instance liveness locks: (LIVENESS_LOCK_CLASS, instance id). */
export const LIVENESS_LOCK_CLASS = 7718265;
/** The channel on which instances tell each other about new note lines. */
export const LINES_CHANNEL = 'countersign_lines';
/** Reconnecting after a lost connection: first wait, doubled up to the cap. */
const RECONNECT_MS = 250;
const MAX_RECONNECT_MS = 5_000;

/**
 * This instance's own connection to the shared PostgreSQL (besides the pool): it holds the
 * instance's liveness lock — a session advisory lock on its id, released by the server the moment
 * the connection ends, so a killed instance is seen as gone at once — and LISTENs for the others'
 * notifications. A dropped connection is re-made with backoff: lock and LISTEN are taken again,
 * and `onReconnect` runs (notifications sent meanwhile were missed).
 */
export class InstanceLink {
  private client: pg.Client | null = null;
  private closed = false;
  private reconnectMs = RECONNECT_MS;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    readonly id: number,
    private readonly url: string,
    private readonly db: Db,
    private readonly onNotify: (payload: string) => void,
    private readonly onReconnect: () => void,
    private readonly log: (l: string) => void,
  ) {}

  /** Registers this process as an instance and connects. */
  static async open(opts: {
    url: string;
    db: Db;
    onNotify: (payload: string) => void;
    onReconnect: () => void;
    log: (l: string) => void;
  }): Promise<InstanceLink> {
    const [row] = await opts.db.query<{ id: string | number }>('insert into instances(host, pid) values ($1, $2) returning id', [hostname(), process.pid]);
    const link = new InstanceLink(Number(row.id), opts.url, opts.db, opts.onNotify, opts.onReconnect, opts.log);
    await link.connect();
    // Rows of instances that are gone (killed ones never deleted theirs) are only history.
    await opts.db
      .query(
        `delete from instances i where i.id <> $2 and not exists (select 1 from pg_locks where locktype = 'advisory'
           and classid::bigint = $1 and objid::bigint = i.id and objsubid = 2 and granted
           and database = (select oid from pg_database where datname = current_database()))`,
        [LIVENESS_LOCK_CLASS, link.id],
      )
      .catch(() => {});
    return link;
  }

  private async connect(): Promise<void> {
    // Named, so that an admin (or a test) can tell instances' connections apart in pg_stat_activity.
    const client = new pg.Client({ connectionString: this.url, application_name: `countersign-instance-${this.id}` });
    client.on('error', (e) => this.lost(client, e.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    client.on('notification', (n) => {
      if (n.channel === LINES_CHANNEL && n.payload) this.onNotify(n.payload);
    });
    await client.connect();
    // Blocks while a previous connection of ours still holds it (the server has not noticed its end).
    await client.query('select pg_advisory_lock($1, $2)', [LIVENESS_LOCK_CLASS, this.id]);
    await client.query(`listen ${LINES_CHANNEL}`);
    this.client = client;
    this.reconnectMs = RECONNECT_MS;
  }

  private lost(client: pg.Client, why: string): void {
    if (this.closed || this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    this.log(`countersign: instance ${this.id} lost its database connection (${why}); reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    const wait = this.reconnectMs;
    this.reconnectMs = Math.min(this.reconnectMs * 2, MAX_RECONNECT_MS);
    this.timer = setTimeout(async () => {
      this.timer = null;
      try {
        await this.connect();
        this.log(`countersign: instance ${this.id} reconnected`);
        this.onReconnect();
      } catch (e) {
        this.log(`countersign: instance ${this.id} could not reconnect: ${(e as Error).message}`);
        this.scheduleReconnect();
      }
    }, wait);
    this.timer.unref();
  }

  /**
   * Whether instance `id` is alive: someone holds its liveness lock — in this database (advisory
   * locks are per database, and other services may share the cluster with their own instance ids).
   */
  async alive(id: number): Promise<boolean> {
    if (id === this.id) return true;
    const [r] = await this.db.query<{ alive: boolean }>(
      `select exists(select 1 from pg_locks where locktype = 'advisory' and classid::bigint = $1 and objid::bigint = $2 and objsubid = 2 and granted
           and database = (select oid from pg_database where datname = current_database())) as alive`,
      [LIVENESS_LOCK_CLASS, id],
    );
    return r.alive === true;
  }

  /** Tells every listening instance (ourselves included: listeners skip their own). */
  async notify(payload: string): Promise<void> {
    await this.db.query('select pg_notify($1, $2)', [LINES_CHANNEL, payload]);
  }

  /** For tests of reconnection: ends the connection as a network failure would. */
  dropConnectionForTest(): void {
    const c = this.client;
    if (c) (c as any).connection?.stream?.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => {});
    await this.db.query('delete from instances where id = $1', [this.id]).catch(() => {});
  }
}
