/** Shown at once while the server fetches the commit and computes its diff. */
export default function LoadingReview() {
  return (
    <div className="space-y-5" aria-busy="true">
      <p role="status" className="text-sm text-muted">
        Loading the commit…
      </p>
      <div className="h-8 w-3/4 animate-pulse rounded-lg bg-surface" />
      <div className="h-40 animate-pulse rounded-xl bg-surface" />
      <div className="h-28 animate-pulse rounded-xl bg-surface" />
      <div className="h-64 animate-pulse rounded-xl bg-surface" />
    </div>
  );
}
