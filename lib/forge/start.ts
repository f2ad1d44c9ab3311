import { createHash } from 'node:crypto';
import type { ForgeConfig } from '../config/forge';
import { runGit } from '../git/run';
import type { App } from '../server/app';
import { wantStatus } from './outbox';
import { StatusSender, type SenderOptions } from './sender';
import { pullRequestStatus } from './status';
import { getPullRequest, openPullRequests, type PullRequestRow } from './store';

/**
 * The forge integration of a running app: keeps each open pull request's commit status in step
 * with its approvals. It listens to the app's events — 'line-written' (an approval made here) and
 * 'fetched' (lines others pushed, a moved base or policy) — recomputes the statuses concerned
 * with the change page's own verdict, and hands them to the durable outbox (lib/forge/outbox.ts)
 * that StatusSender posts from.
 */
export interface ForgeRuntime {
  sender: StatusSender;
  /** Recompute one pull request's status (after a webhook changed it). */
  pullRequestChanged(repo: string, number: number): Promise<void>;
  /** Recompute the statuses of every open pull request of a repository (or those with this head). */
  refreshRepo(repo: string, head?: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Kept on the app under a registry-wide symbol, not in a module-level map: Next.js bundles server
 * code more than once (route handlers, instrumentation), and the bundle that started the app is not
 * the one whose route handler receives a webhook.
 */
const RUNTIME = Symbol.for('countersign.forge.runtime');

/** The forge runtime of an app (null when none was started, e.g. the CLI's brief opening). */
export function forgeEvents(app: App): ForgeRuntime | null {
  return ((app as unknown as Record<symbol, ForgeRuntime | undefined>)[RUNTIME]) ?? null;
}

export function startForge(app: App, opts: SenderOptions = {}): ForgeRuntime {
  const log = opts.log ?? ((l: string) => console.log(l));
  const forges = new Map<string, ForgeConfig>();
  for (const r of app.config.repositories) if (r.forge) forges.set(r.name, r.forge);
  const sender = new StatusSender(app.db, (repo) => forges.get(repo), { ...opts, log });
  // One recomputation per repository at a time; a request arriving meanwhile runs once after it.
  const chains = new Map<string, Promise<void>>();
  const lastRefs = new Map<string, string>();

  const update = async (pr: PullRequestRow) => {
    const wanted = await pullRequestStatus(app, pr);
    if (await wantStatus(app.db, wanted)) sender.wake();
  };
  const serial = (repo: string, fn: () => Promise<void>): Promise<void> => {
    const next = (chains.get(repo) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch((e) => log(`countersign: forge status for ${repo}: ${(e as Error).message}`));
    chains.set(repo, tail);
    tail.finally(() => {
      if (chains.get(repo) === tail) chains.delete(repo);
    });
    return next;
  };

  const runtime: ForgeRuntime = {
    sender,
    pullRequestChanged(repo, number) {
      if (!forges.has(repo)) return Promise.resolve();
      return serial(repo, async () => {
        const pr = await getPullRequest(app.db, repo, number);
        if (pr && pr.open) await update(pr);
      });
    },
    refreshRepo(repo, head) {
      if (!forges.has(repo)) return Promise.resolve();
      return serial(repo, async () => {
        for (const pr of await openPullRequests(app.db, repo, head)) await update(pr);
      });
    },
    async stop() {
      unsubscribe.forEach((u) => u());
      await Promise.all([...chains.values()]);
      await sender.stop();
    },
  };

  const unsubscribe = [
    app.events.on('line-written', ({ repo, commit }) => runtime.refreshRepo(repo, commit)),
    app.events.on('fetched', async ({ repo }) => {
      if (!forges.has(repo)) return;
      // Fetches happen every few seconds while people read pages: recompute only when the notes or
      // the branches (the policy, the base) actually moved.
      const handle = app.repos.get(repo);
      if (!handle) return;
      const refs = await runGit(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/notes/', 'refs/remotes/'], { cwd: handle.dir });
      const key = createHash('sha256').update(refs.stdout).digest('hex');
      if (lastRefs.get(repo) === key) return;
      lastRefs.set(repo, key);
      await runtime.refreshRepo(repo);
    }),
  ];
  (app as unknown as Record<symbol, ForgeRuntime>)[RUNTIME] = runtime;
  // The app's close stops the sender first (its database goes with the app).
  const close = app.close.bind(app);
  app.close = async () => {
    await runtime.stop();
    await close();
  };
  // Statuses left in the outbox by an earlier run go out now.
  if (forges.size > 0) sender.wake();
  return runtime;
}
