import { isCountersignError } from '../errors';
import { evaluateCommit } from '../gate/evaluate';
import { listCredentials } from '../store/credentials';
import { listRequests } from '../store/requests';
import type { App } from './app';
import { linesBy } from './trust';
import type { InboxItemView, UserView } from './types';

/**
 * What awaits signatures: every open review request, newest first, with its count against the
 * threshold and whether this viewer has signed. Requests whose policy is met and that the viewer
 * has signed are still listed (the screen can tone them down); a request for a repository no
 * longer configured, or whose commit vanished, is skipped.
 */
export async function getInbox(app: App, viewer: UserView, opts: { limit?: number } = {}): Promise<InboxItemView[]> {
  const requests = await listRequests(app.db, opts.limit ?? 100);
  const creds = await listCredentials(app.db, viewer.id);
  const byRepo = new Map<string, typeof requests>();
  for (const r of requests) byRepo.set(r.repo, [...(byRepo.get(r.repo) ?? []), r]);
  const items = new Map<string, InboxItemView>();
  await Promise.all(
    [...byRepo].map(async ([repoName, reqs]) => {
      const repo = app.repos.get(repoName);
      if (!repo) return;
      await repo.refresh();
      let trusted;
      try {
        trusted = await repo.trusted();
      } catch {
        return; // a broken policy shows on the review screen, with its message
      }
      const notesRef = repo.notesRefFor(trusted);
      for (const r of reqs) {
        try {
          const commit = await repo.commit(r.commitId);
          const v = await evaluateCommit({ repoDir: repo.dir, commit: commit.id, trusted, notesRef });
          const ctx = { repository: trusted.policy.repository, commit: commit.id, tree: commit.tree, namespace: trusted.policy.namespace };
          items.set(r.id, {
            id: r.id,
            repo: repoName,
            commit: commit.id,
            shortId: commit.id.slice(0, 12),
            title: commit.title,
            requestedBy: r.requestedBy,
            requestedAt: r.requestedAt,
            count: v.count,
            threshold: v.threshold,
            met: v.met,
            viewerHasSigned: linesBy(v.lines.map((l) => l.line), ctx, viewer.email, creds, 'approve').length > 0,
          });
        } catch (e) {
          if (!isCountersignError(e)) throw e;
        }
      }
    }),
  );
  return requests.map((r) => items.get(r.id)).filter((x): x is InboxItemView => !!x);
}

export async function listRepositories(app: App): Promise<{ name: string; remote: string }[]> {
  return app.config.repositories.map((r) => ({ name: r.name, remote: r.remote }));
}
