import { isCountersignError } from '../errors';
import { evaluateCommit } from '../gate/evaluate';
import { listCredentials } from '../store/credentials';
import { listRequests } from '../store/requests';
import type { App } from './app';
import type { RepoStatus } from './repos';
import { countChange } from '../git/change';
import { evaluateChange } from './change';
import { linesBy } from './trust';
import type { InboxItemView, PullRequestView, UserView } from './types';
import { earlierHeads } from '../forge/store';
import { readNoteLines } from '../notes/store';
import type { RepoHandle } from './repos';
import type { ReviewRequestRow } from '../store/requests';

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
            ...(r.pr ? { pr: await pullRequestView(app, repo, notesRef, r.pr, commit.id) } : {}),
          });
        } catch (e) {
          if (!isCountersignError(e)) throw e;
        }
      }
    }),
  );
  return requests.map((r) => items.get(r.id)).filter((x): x is InboxItemView => !!x);
}

/** Earlier heads listed at most (the pull request's most recent pushes). */
const EARLIER_HEADS_MAX = 5;

/**
 * A pull request's request: its number, title and link, and the earlier heads that have signatures
 * (a push replaced them: those approvals stay in git, for the commits they name, and do not count
 * for the new head unless it lands as they approved it).
 */
async function pullRequestView(app: App, repo: RepoHandle, notesRef: string, pr: NonNullable<ReviewRequestRow['pr']>, head: string): Promise<PullRequestView> {
  const heads = (await earlierHeads(app.db, repo.config.name, pr.number, head)).slice(0, EARLIER_HEADS_MAX);
  const earlier = await Promise.all(
    heads.map(async (h) => ({ commit: h.head, shortId: h.head.slice(0, 12), signatures: (await readNoteLines(repo.dir, notesRef, h.head).catch(() => [])).length })),
  );
  return { number: pr.number, title: pr.title, url: pr.url, earlier: earlier.filter((e) => e.signatures > 0) };
}

export async function listRepositories(app: App): Promise<Array<{ name: string; remote: string } & Partial<RepoStatus>>> {
  // While the server's clone is being made: `state: "cloning"` with git's progress (lib/server/repos.ts).
  return app.config.repositories.map((r) => {
    const status = app.repos.get(r.name)?.status();
    return { name: r.name, remote: r.remote, ...(status && status.state !== 'ready' ? status : {}) };
  });
}
