import type { Db } from './db';

/**
 * Schema migrations, applied in order at start. Append only: a released migration is never edited.
 * An advisory lock serialises concurrent starts of several instances on one PostgreSQL.
 */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
create table users (
  id text primary key,
  email text not null unique,
  display_name text not null,
  is_admin boolean not null default false,
  -- WebAuthn user handle (random, base64url), what a discoverable credential returns as userHandle.
  webauthn_user_id text not null unique,
  created_at timestamptz not null default now()
);

create table credentials (
  id text primary key,                 -- WebAuthn credential id, base64url
  user_id text not null references users(id),
  public_key bytea not null,           -- COSE_Key as registered
  rp_id text not null,
  ssh_key text not null,               -- "sk-ecdsa-sha2-nistp256@openssh.com AAAA…" (application = rp_id)
  fingerprint text not null,           -- SHA256:…
  counter bigint not null default 0,
  transports text not null default '[]',  -- JSON array
  name text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index credentials_user on credentials(user_id);

create table invites (
  token_hash text primary key,         -- SHA-256 hex of the token; the token itself is never stored
  email text not null,
  is_admin boolean not null default false,
  created_by text references users(id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  used_by text references users(id)
);

create table sessions (
  token_hash text primary key,
  user_id text not null references users(id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  last_seen_at timestamptz not null default now()
);
create index sessions_user on sessions(user_id);

create table challenges (
  id text primary key,
  kind text not null check (kind in ('registration', 'login', 'approval')),
  challenge text not null,             -- base64url, exactly as sent to the browser
  user_id text references users(id),   -- registration of another device, approval
  invite_hash text,                    -- registration by invite
  webauthn_user_id text,               -- registration: the user handle offered
  repo text,                           -- approval: bound to repo + commit + user + statement
  commit_id text,
  statement text,
  verdict text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);

create table review_requests (
  id text primary key,
  repo text not null,
  commit_id text not null,
  requested_by text not null,          -- a user's email or "bot:<token name>"
  requested_at timestamptz not null default now(),
  unique (repo, commit_id)
);
create index review_requests_time on review_requests(requested_at desc);

create table api_tokens (
  id text primary key,
  name text not null,
  token_hash text not null unique,
  created_by text references users(id),
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
`,
  },
  {
    version: 2,
    name: 'sessions remember the passkey that opened them',
    sql: `
-- Revoking a device ends the sessions it opened (a lost phone's open session must not outlive it).
alter table sessions add column credential_id text references credentials(id);
create index sessions_credential on sessions(credential_id);
`,
  },
  {
    version: 3,
    name: 'registration counts as a use of the passkey',
    // Devices registered before insertCredential set last_used_at were last used no earlier than then.
    sql: `update credentials set last_used_at = created_at where last_used_at is null`,
  },
  {
    version: 4,
    name: 'changes (a head with its base) and one approval per key',
    sql: `
-- An approval of a change is bound to its base as well as its head; a request may name one.
alter table challenges add column base text;
alter table review_requests add column base text;
alter table review_requests add column base_name text;

-- "Already approved" decided by the database, not by reading the note (a double tap, or two
-- instances, would both read "not yet"): the first approval of (repository, commit, key,
-- verdict, base) claims it; the others answer with the claimed line. base '' = a single commit (v1).
create table approval_claims (
  repo text not null,
  commit_id text not null,
  key_fingerprint text not null,
  verdict text not null,
  base text not null,
  line text not null,
  claimed_at timestamptz not null default now(),
  primary key (repo, commit_id, key_fingerprint, verdict, base)
);
`,
  },
  {
    version: 5,
    name: 'sessions slide and remember their last passkey check',
    sql: `
-- When a passkey was last checked for this session (sign-in, enrollment, or a step-up before adding
-- a device): adding a device needs a check from the last few minutes, not just a session.
alter table sessions add column verified_at timestamptz;
update sessions set verified_at = created_at
`,
  },
  {
    version: 6,
    name: 'forges: pull requests, webhook deliveries, commit status outbox',
    sql: `
-- A request made for a pull request names it, for the inbox (number, title, link).
alter table review_requests add column pr_number integer;
alter table review_requests add column pr_title text;
alter table review_requests add column pr_url text;

-- Each delivery is acted on once: a redelivery (same id) changes nothing.
create table forge_deliveries (
  delivery_id text primary key,
  repo text not null,
  event text not null,
  received_at timestamptz not null default now()
);

-- The pull requests the forge told us about: their head now, the pinned base of the change, and
-- every head they had (so earlier approvals can be named).
create table forge_pull_requests (
  repo text not null,
  number integer not null,
  head text not null,
  base text,
  base_ref text not null,
  title text not null,
  url text not null,
  draft boolean not null default false,
  open boolean not null default true,
  updated_at timestamptz not null default now(),
  primary key (repo, number)
);
create table forge_pull_request_heads (
  repo text not null,
  number integer not null,
  head text not null,
  base text,
  seen_at timestamptz not null default now(),
  primary key (repo, number, head)
);

-- The commit status outbox: the state wanted for each head, and the one last accepted by the
-- forge. A row whose wanted version is ahead of the posted one is due (with backoff after a
-- failure); only the latest state is sent, once.
create table forge_statuses (
  repo text not null,
  sha text not null,
  state text not null,
  description text not null,
  target_url text not null,
  version integer not null default 1,
  posted_version integer not null default 0,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  updated_at timestamptz not null default now(),
  primary key (repo, sha)
);
create index forge_statuses_due on forge_statuses(next_attempt_at) where version > posted_version
`,
  },
  {
    version: 7,
    name: 'notifications: VAPID key, push subscriptions, what was already sent',
    sql: `
-- One VAPID key pair for the whole deployment (every instance on one PostgreSQL signs with it, so a
-- subscription made through one instance is served by any): created once, insert-if-absent.
create table notify_vapid (
  id smallint primary key check (id = 1),
  public_key text not null,            -- base64url, uncompressed P-256 point
  private_key text not null,           -- base64url, 32 bytes
  created_at timestamptz not null default now()
);

-- A browser's push subscription belongs to the session (and so the device) that made it: signing
-- out there, the session expiring, or revoking the device deletes the session and, by the cascade,
-- the subscription, whichever code path deletes it.
create table push_subscriptions (
  id text primary key,
  user_id text not null references users(id),
  credential_id text references credentials(id),
  session_hash text not null references sessions(token_hash) on delete cascade,
  endpoint text not null unique,
  p256dh text not null,
  auth text not null,
  created_at timestamptz not null default now(),
  last_sent_at timestamptz
);
create index push_subscriptions_user on push_subscriptions(user_id);
create index push_subscriptions_credential on push_subscriptions(credential_id);

-- Notifications that must go out once however many instances or restarts see their cause
-- (an alarm for a note line, a request reaching its policy): the first to insert the key sends.
create table notify_sent (
  kind text not null,
  key text not null,
  created_at timestamptz not null default now(),
  primary key (kind, key)
);
`,
  },
  {
    version: 8,
    name: 'several instances: who is alive, who claimed, one first admin, shared rate limits',
    sql: `
-- Each running instance (on PostgreSQL) registers here and holds an advisory lock on its id for as
-- long as it lives (lib/instances): a lock that nobody holds is an instance that is gone.
create table instances (
  id bigserial primary key,
  host text not null,
  pid integer not null,
  started_at timestamptz not null default now()
);

-- The instance that claimed an approval, so that another can tell whether its writer still lives.
alter table approval_claims add column instance_id bigint;

-- The first admin's invite is announced by one instance, whichever starts first.
create table first_admin_announcement (
  id integer primary key check (id = 1),
  instance_id bigint,
  announced_at timestamptz not null default now()
);

-- Rate limits shared by every instance: one fixed window per key (bucket and client).
create table rate_limits (
  key text primary key,
  window_start timestamptz not null,
  count integer not null
);
create index rate_limits_window on rate_limits(window_start)
`,
  },
];

export async function migrate(db: Db): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(7718263)');
    await tx.query(`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set((await tx.query<{ version: number }>('select version from schema_migrations')).map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const stmt of splitSql(m.sql)) await tx.query(stmt);
      await tx.query('insert into schema_migrations(version, name) values ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Comments dropped, our migrations have no semicolons inside statements, so a plain split is exact. */
function splitSql(sql: string): string[] {
  return sql
    .replace(/--[^\n]*/g, '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}
