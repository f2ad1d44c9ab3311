/**
 * Dates and counts as the pages show them. Times are rendered on the server, so they are
 * given in UTC (stated) rather than in the server's local zone, which the reader does not know.
 */

function valid(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "2025-11-24 18:03 UTC" — unambiguous, sortable, the same for every reader. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = valid(iso);
  if (!d) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "2025-11-24" */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = valid(iso);
  return d ? d.toISOString().slice(0, 10) : iso;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", then the date. Future times read as "just now". */
export function relativeTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return 'never';
  const d = valid(iso);
  if (!d) return iso;
  const s = Math.floor((now.getTime() - d.getTime()) / 1000);
  if (s < 60) return 'just now';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ago`;
  const days = Math.floor(h / 24);
  if (days < 30) return days === 1 ? 'yesterday' : `${days} days ago`;
  return formatDate(iso);
}

/** "1 file", "3 files". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : pluralForm}`;
}

/** "1 of 2 approvals" + what is missing, for a policy state. */
export function policySummary(count: number, threshold: number, met: boolean): string {
  const base = `${count} of ${threshold} ${threshold === 1 ? 'approval' : 'approvals'}`;
  if (met) return `${base} — policy met`;
  const missing = threshold - count;
  // The server's verdict wins: a count that reaches the threshold can still fall short (for
  // example when the author's own approval is excluded), and the summary must not contradict it.
  return missing > 0 ? `${base} — needs ${missing} more` : `${base} — policy not met`;
}
