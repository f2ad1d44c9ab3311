import { createHash } from 'node:crypto';
import { principalMatches } from '../allowed-signers';
import type { Config } from '../config/config';
import { evaluateCommit } from '../gate/evaluate';
import { countChange } from '../git/change';
import { parseNoteLine, statementFor } from '../notes/line';
import type { TrustedPolicy } from '../policy/trusted';
import { fingerprintSha256, publicKeysEqual } from '../ssh/public-key';
import { checkSshSig, parseSshSig } from '../sshsig';
import { statementBytes } from '../statement/statement';
import type { Db } from '../store/db';
import { evaluateChange } from '../server/change';
import type { AppEvents } from '../server/events';
import type { RepoHandle } from '../server/repos';
import { policyFailingMessage, policyMetMessage, reviewRequestMessage, signatureAlarmMessage } from './messages';
import { scanNewLines, type NewLine } from './new-lines';
import type { PushMessage } from './payload';
import { PushSender, type SenderOptions } from './sender';
import { findUserByEmail } from '../store/users';
import { allUsers, claimOnce, requestsForCommit, subscriptionsOfUser } from './store';
import { ensureVapidKeys, type VapidKeys } from './vapid';

export type { PushMessage } from './payload';

/** What notifications need of the running server (lib/server/app.ts's App has all of it). */
export interface NotifyHost {
  config: Config;
  db: Db;
  repos: Map<string, RepoHandle>;
  events: AppEvents;
  close(): Promise<void>;
}

export interface Notifier {
  sender: PushSender;
  vapidPublicKey(): Promise<string>;
  /** Sends `msg` to every browser the user turned notifications on in; returns how many were queued. */
  notifyUser(userId: string, msg: PushMessage): Promise<number>;
  /** Looks for note lines that arrived in a repository since the last look (after each fetch). */
  scan(repo: string): Promise<void>;
  /** Resolves once every event handled so far has been acted on and every send has ended. */
  idle(): Promise<void>;
  stop(): void;
}

// On globalThis, like the app itself (lib/server/app.ts getApp): Next.js bundles this module into
// several server chunks, and the routes must find the notifier the app's start made.
const NOTIFIERS_KEY = Symbol.for('countersign.notifiers');
const notifiers: WeakMap<object, Notifier> = ((globalThis as any)[NOTIFIERS_KEY] ??= new WeakMap<object, Notifier>());

/** The notifier of a running app (started by openApp); undefined for contexts without one (the CLI). */
export function notifierOf(app: object): Notifier | undefined {
  return notifiers.get(app);
}

/**
 * Starts notifications for the app: the VAPID key pair (made on the first start), and listeners
 * for review requests ('request-upserted'), the app's own approvals ('line-written') and lines
 * that arrive from the remote ('fetched': the CLI, other instances). Nothing here runs on the
 * path of the request that caused it: events are acted on afterwards, one repository at a time.
 */
export async function startNotifications(app: NotifyHost, opts: SenderOptions = {}): Promise<Notifier> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const keys: VapidKeys = await ensureVapidKeys(app.db);
  const sender = new PushSender(app.db, async () => keys, app.config.vapidSubject, app.config.publicUrl, { ...opts, log });
  const work = new Set<Promise<unknown>>();
  const queues = new Map<string, Promise<unknown>>();
  let stopped = false;

  const track = <T>(p: Promise<T>): Promise<T> => {
    const q = p.catch((e) => log(`countersign: notifications: ${(e as Error).message}`));
    work.add(q);
    q.finally(() => work.delete(q));
    return p;
  };
  /** One repository's work in order (scans move its seen ref), others in parallel. */
  const serial = (repo: string, fn: () => Promise<unknown>): Promise<unknown> => {
    const next = (queues.get(repo) ?? Promise.resolve()).then(() => (stopped ? undefined : fn()));
    const settled = next.catch(() => {});
    queues.set(repo, settled);
    settled.finally(() => {
      if (queues.get(repo) === settled) queues.delete(repo);
    });
    return track(next);
  };

  const notifier: Notifier = {
    sender,
    async vapidPublicKey() {
      return keys.publicKey;
    },
    async notifyUser(userId, msg) {
      if (stopped) return 0;
      const subs = await subscriptionsOfUser(app.db, userId);
      for (const s of subs) void sender.send(s, msg);
      return subs.length;
    },
    scan(repo) {
      return serial(repo, () => scanRepo(repo)) as Promise<void>;
    },
    async idle() {
      while (work.size > 0) await Promise.allSettled([...work]);
      await sender.idle();
      if (work.size > 0) return notifier.idle();
    },
    stop() {
      stopped = true;
      sender.stop();
    },
  };

  async function scanRepo(name: string): Promise<void> {
    const repo = app.repos.get(name);
    if (!repo) return;
    const trusted = await repo.trusted().catch(() => null);
    if (!trusted) return; // without a policy no line can be checked; the seen ref stays where it was
    const notesRef = repo.notesRefFor(trusted);
    const { lines, truncated } = await scanNewLines(repo.dir, notesRef);
    if (truncated) log(`countersign: ${name}: more new note lines than can be checked for alarms at once; the rest were skipped`);
    await onNewLines(repo, trusted, lines);
  }

  /** Alarms for lines made with users' keys, then the requesters of the commits they annotate. */
  async function onNewLines(repo: RepoHandle, trusted: TrustedPolicy, lines: NewLine[]): Promise<void> {
    if (lines.length === 0) return;
    const users = await allUsers(app.db);
    for (const nl of lines) await alarmFor(repo, trusted, nl, users);
    for (const commit of new Set(lines.map((l) => l.commit))) await requestStatus(repo, trusted, commit);
  }

  async function alarmFor(repo: RepoHandle, trusted: TrustedPolicy, nl: NewLine, users: { id: string; email: string }[]): Promise<void> {
    let parsed, sig;
    try {
      parsed = parseNoteLine(nl.line);
      sig = parseSshSig(parsed.signature);
    } catch {
      return; // a line that does not parse was made with nobody's key
    }
    const fingerprint = fingerprintSha256(sig.publicKey);
    // Whose key: a passkey enrolled here (revoked ones too: a revoked key signing is news), or a
    // key the repository's allowed_signers lists under the user's address (`countersign sign`).
    const owners = new Map<string, string>();
    const creds = await app.db.query<{ user_id: string; name: string }>('select user_id, name from credentials where fingerprint = $1', [fingerprint]);
    for (const c of creds) owners.set(c.user_id, `Your passkey "${c.name}"`);
    for (const s of trusted.allowedSigners) {
      if (s.certAuthority || !publicKeysEqual(s.key, sig.publicKey)) continue;
      for (const u of users) {
        if (!owners.has(u.id) && principalMatches(u.email, s.principals)) owners.set(u.id, `Your key ${fingerprint.slice(0, 17)}…`);
      }
    }
    if (owners.size === 0) return;
    // Only a signature that verifies was made with the key: a line that merely copies someone's
    // public key next to garbage must not set off their alarm.
    let commit;
    try {
      commit = await repo.commit(nl.commit);
    } catch {
      return;
    }
    const ctx = { repository: trusted.policy.repository, commit: commit.id, tree: commit.tree };
    const check = checkSshSig({ signature: parsed.signature, message: statementBytes(statementFor(parsed, ctx)), namespace: trusted.policy.namespace });
    if (!check.ok) return;
    const key = createHash('sha256').update(`${repo.config.name}\0${nl.commit}\0${nl.line}`).digest('hex');
    if (!(await claimOnce(app.db, 'alarm', key))) return; // another instance, or before a restart
    for (const [userId, keyLabel] of owners) {
      await notifier.notifyUser(
        userId,
        signatureAlarmMessage({ repo: repo.config.name, commit: commit.id, base: parsed.base ?? null, verdict: parsed.verdict, time: parsed.time, keyLabel }),
      );
    }
  }

  /** A commit someone asked about that now meets its policy, or cannot: its requester hears once. */
  async function requestStatus(repo: RepoHandle, trusted: TrustedPolicy, commitId: string): Promise<void> {
    const requests = await requestsForCommit(app.db, repo.config.name, commitId);
    if (requests.length === 0) return;
    const commit = await repo.commit(commitId);
    const notesRef = repo.notesRefFor(trusted);
    for (const r of requests) {
      const v = r.base
        ? (await evaluateChange(repo, trusted, notesRef, commit, r.base)).verdict
        : await evaluateCommit({ repoDir: repo.dir, commit: commit.id, trusted, notesRef });
      const requester = await findUserByEmail(app.db, r.requestedBy);
      if (!requester) continue; // a bot asked: its forge status tells it (lib/forge)
      const about = { repo: repo.config.name, commit: commit.id, base: r.base, title: commit.title };
      const keyBase = `${r.id}:${commit.id}:${r.base ?? ''}`;
      if (v.met) {
        if (await claimOnce(app.db, 'met', keyBase)) await notifier.notifyUser(requester.id, policyMetMessage({ ...about, count: v.count, threshold: v.threshold }));
      } else if (v.failures.length > 0) {
        const failure = v.failures[0];
        const h = createHash('sha256').update(failure).digest('hex').slice(0, 16);
        if (await claimOnce(app.db, 'failing', `${keyBase}:${h}`)) await notifier.notifyUser(requester.id, policyFailingMessage({ ...about, failure }));
      }
    }
  }

  async function onRequest(e: { repo: string; requestId: string; commit: string; base: string | null; requestedBy: string }): Promise<void> {
    const repo = app.repos.get(e.repo);
    if (!repo) return;
    await repo.refresh(); // reviewers are read from the trusted allowed_signers: a recent copy
    const trusted = await repo.trusted();
    const commit = await repo.commit(e.commit);
    const commitCount = e.base ? await countChange(repo.dir, e.base, commit.id) : undefined;
    const msg = reviewRequestMessage({ repo: e.repo, commit: commit.id, base: e.base, title: commit.title, requestedBy: e.requestedBy, commitCount });
    // Reviewers: the people the repository's trusted allowed_signers lists, except who asked.
    for (const u of await allUsers(app.db)) {
      if (u.email === e.requestedBy) continue;
      if (!trusted.allowedSigners.some((s) => !s.certAuthority && principalMatches(u.email, s.principals))) continue;
      await notifier.notifyUser(u.id, msg);
    }
  }

  app.events.on('request-upserted', (e) => {
    void track(onRequest(e));
  });
  app.events.on('line-written', (e) => {
    // This instance's own approval: alarmed at once (the scan after the next fetch finds the line
    // already claimed).
    void serial(e.repo, async () => {
      const repo = app.repos.get(e.repo);
      if (!repo) return;
      const trusted = await repo.trusted();
      await onNewLines(repo, trusted, [{ commit: e.commit, line: e.line }]);
    });
  });
  app.events.on('fetched', (e) => {
    void notifier.scan(e.repo);
  });
  // Lines that arrived while the server was down (the first fetch ran before these listeners).
  for (const name of app.repos.keys()) void notifier.scan(name);

  const close = app.close.bind(app);
  app.close = async () => {
    notifier.stop();
    await Promise.allSettled([...work]);
    await close();
  };
  notifiers.set(app, notifier);
  return notifier;
}
