'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { apiPost } from '@/lib/ui/api';
import { reviewPath } from '@/lib/ui/commit-id';
import { FormError, useSubmit } from './useSubmit';

/** Open a commit's review page, or ask others to sign it (it then shows in their inboxes). */
export function CommitForm({ repos }: { repos: { name: string }[] }) {
  const router = useRouter();
  const [repo, setRepo] = useState(repos[0]?.name ?? '');
  const [commit, setCommit] = useState('');
  const { busy, error, setError, run } = useSubmit();
  const [status, setStatus] = useState<string | null>(null);

  const cleaned = commit.trim().toLowerCase();

  function valid(): boolean {
    if (!repo) {
      setError('Choose a repository.');
      return false;
    }
    if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(cleaned)) {
      setError('Enter the full commit id: 40 hex characters (64 for SHA-256 repositories), as git rev-parse HEAD prints it.');
      return false;
    }
    setError(null);
    return true;
  }

  async function request() {
    if (!valid()) return;
    setStatus(null);
    await run(async () => {
      const r = await apiPost<{ id: string; repo: string; commit: string }>('/api/requests', { repo, commit: cleaned });
      setStatus('Review requested.');
      router.push(reviewPath(r.repo, r.commit));
      router.refresh();
    });
  }

  return (
    <form
      className="card space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid()) router.push(reviewPath(repo, cleaned));
      }}
    >
      <h2 className="text-base font-semibold">Open or request a review</h2>
      <div className="grid gap-3 sm:grid-cols-[12rem_1fr]">
        <div>
          <label htmlFor="cf-repo" className="mb-1 block text-sm font-medium">
            Repository
          </label>
          {repos.length > 0 ? (
            <select id="cf-repo" className="field" value={repo} onChange={(e) => setRepo(e.target.value)}>
              {repos.map((r) => (
                <option key={r.name} value={r.name}>
                  {r.name}
                </option>
              ))}
            </select>
          ) : (
            <input id="cf-repo" className="field" value={repo} onChange={(e) => setRepo(e.target.value)} autoCapitalize="none" />
          )}
        </div>
        <div>
          <label htmlFor="cf-commit" className="mb-1 block text-sm font-medium">
            Commit id
          </label>
          <input
            id="cf-commit"
            className="field font-mono"
            value={commit}
            onChange={(e) => setCommit(e.target.value)}
            autoCapitalize="none"
            autoComplete="off"
            spellCheck={false}
            inputMode="text"
            placeholder="3f786850e387550fdab8…"
          />
        </div>
      </div>
      <div className="grid grid-cols-2 gap-2">
        <button type="submit" className="btn-secondary px-2 whitespace-nowrap" disabled={busy}>
          Open
        </button>
        <button type="button" className="btn-primary px-2 whitespace-nowrap" onClick={request} disabled={busy}>
          Request review
        </button>
      </div>
      <div role="status" aria-live="polite" className="text-sm text-ok">
        {status}
      </div>
      <FormError error={error} />
    </form>
  );
}
