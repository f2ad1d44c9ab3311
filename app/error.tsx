'use client';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="space-y-4 py-6" role="alert">
      <h1 className="text-2xl font-bold">Something went wrong</h1>
      <p>The page could not be shown. Nothing was signed.</p>
      {error.digest && <p className="font-mono text-xs text-muted">Reference: {error.digest}</p>}
      <button type="button" className="btn-secondary" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
