'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { apiPost } from '@/lib/ui/api';
import { changePath, reviewPath } from '@/lib/ui/commit-id';
import { FormError, useSubmit } from './useSubmit';

/** A commit id (full or abbreviated) or a branch name, as the review links accept them. */
const REV_RE = /^[A-Za-z0-9._/-]{1,200}$/;

/**
 * Open a commit's or a change's review page, or ask others to sign it (it then shows in their
 * inboxes). With a base (a branch such as main, or a commit id) it is the change from there.
 */
export function CommitForm({ repos }: { repos: { name: string }[] }) {
  const router = useRouter();
  const [repo, setRepo] = useState(repos[0]?.name ?? '');
  const [commit, setCommit] = useState('');
  const [base, setBase] = useState('');
  const { busy, error, setError, run } = useSubmit();
  const [status, setStatus] = useState<string | null>(null);

  const cleaned = commit.trim();
  const cleanedBase = base.trim();

  function valid(): boolean {
    if (!repo) {
      setError('Choose a repository.');
      return false;
    }
    if (!REV_RE.test(cleaned) || cleaned.startsWith('-')) {
      setError('Enter a commit id (full, or at least 7 hex characters) or a branch name.');
      return false;
    }
    if (cleanedBase && (!REV_RE.test(cleanedBase) || cleanedBase.startsWith('-'))) {
      setError('The base is a branch name (such as main) or a commit id; leave it empty to review one commit.');
      return false;
    }
    setError(null);
    return true;
  }

  function openPath(): string {
    const path = reviewPath(repo, /^[0-9a-fA-F]+$/.test(cleaned) ? cleaned.toLowerCase() : cleaned);
    return cleanedBase ? `${path}?base=${encodeURIComponent(cleanedBase)}` : path;
  }

  async function request() {
    if (!valid()) return;
    setStatus(null);
    await run(async () => {
      const r = await apiPost<{ id: string; repo: string; commit: string; base?: string; baseName?: string }>('/api/requests', {
        repo,
        commit: cleaned,
        ...(cleanedBase ? { base: cleanedBase } : {}),
      });
      setStatus('Review requested.');
      router.push(r.base ? changePath(r.repo, r.commit, r.base, r.baseName) : reviewPath(r.repo, r.commit));
      router.refresh();
    });
  }

  return (
    <form
      className="card space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid()) router.push(openPath());
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
            Commit id or branch
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
        <div className="sm:col-start-2">
          <label htmlFor="cf-base" className="mb-1 block text-sm font-medium">
            Base <span className="font-normal text-muted">(optional: review the change from here, e.g. main)</span>
          </label>
          <input
            id="cf-base"
            className="field font-mono"
            value={base}
            onChange={(e) => setBase(e.target.value)}
            autoCapitalize="none"
            autoComplete="off"
            spellCheck={false}
            inputMode="text"
            placeholder="main"
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
