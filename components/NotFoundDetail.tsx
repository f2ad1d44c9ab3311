'use client';

import { useParams } from 'next/navigation';
import { decodeSegment, isFullObjectId } from '@/lib/ui/commit-id';

/** Says which repository and commit were asked for, and why a malformed id cannot match. */
export function NotFoundDetail() {
  const params = useParams<{ repo?: string; commit?: string }>();
  if (!params?.repo || !params.commit) return null;
  const repo = decodeSegment(params.repo);
  const commit = decodeSegment(params.commit);
  return (
    <div className="card space-y-2 text-sm">
      <p>
        No commit <span className="font-mono break-all">{commit}</span> in repository{' '}
        <strong className="wrap-anywhere">{repo}</strong>.
      </p>
      {!isFullObjectId(commit) && (
        <p className="text-muted">
          A commit here is its id (the full 40 hex characters, 64 for SHA-256 repositories, or at least 7 of them)
          or the name of a branch pushed to the repository.
        </p>
      )}
      <p className="text-muted">Or this server has no repository of that name.</p>
    </div>
  );
}
