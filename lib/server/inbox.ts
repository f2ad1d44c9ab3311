import { isCountersignError } from '../errors';
import { evaluateCommit } from '../gate/evaluate';
import { listCredentials } from '../store/credentials';
import { listRequests } from '../store/requests';
import type { App } from './app';
import { countChange } from '../git/change';
import { evaluateChange } from './change';
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
          // A change counts only the approvals of the whole change (lib/server/change.ts).
          const { v, lines } = r.base
            ? await evaluateChange(repo, trusted, notesRef, commit, r.base).then((c) => ({ v: c.verdict, lines: c.covering }))
            : await evaluateCommit({ repoDir: repo.dir, commit: commit.id, trusted, notesRef }).then((c) => ({ v: c, lines: c.lines.map((l) => l.line) }));
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
            viewerHasSigned: linesBy(lines, ctx, viewer.email, creds, 'approve').length > 0,
            ...(r.base ? { base: r.base, commitCount: await countChange(repo.dir, r.base, commit.id) } : {}),
            ...(r.base && r.baseName ? { baseName: r.baseName } : {}),
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
