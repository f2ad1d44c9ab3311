import Link from 'next/link';
import type { ChangeView, PersonView, ReviewView, SignatureLineView } from '@/lib/server/types';
import { reviewPath, shortId } from '@/lib/ui/commit-id';
import { formatDateTime, plural, policySummary, relativeTime } from '@/lib/ui/format';
import { presentSignature } from '@/lib/ui/signature-status';
import { Alert } from './Alert';
import { CommitId } from './CommitId';
import { DiffViewer } from './DiffViewer';

/**
 * Everything the review screen shows about a commit (or a change: its commits from a base to the
 * head, one combined diff), from a ReviewView alone. No hooks and
 * no server-only imports: the server renders it for /r/…, and the offline page renders it
 * in the browser from the copy saved in IndexedDB.
 */
export function ReviewBody({ review, offline = false }: { review: ReviewView; offline?: boolean }) {
  const change = review.change;
  // A change lists its commits instead of the head's message.
  const bodyText = change ? '' : messageBody(review.message, review.title);
  return (
    <article className="space-y-5" aria-labelledby="commit-title">
      <header className="space-y-1">
        <p className="text-sm text-muted">
          {change ? `Change of ${plural(change.commitCount, 'commit')}` : 'Review request'} ·{' '}
          <span className="font-medium text-fg">{review.repo}</span>
        </p>
        <h1 id="commit-title" className="text-2xl leading-tight font-bold break-words">
          {review.title || '(no commit title)'}
        </h1>
      </header>

      {change && <ChangeCard review={review} change={change} />}

      <CommitId id={review.commit} objectFormat={review.objectFormat} label={change ? 'Head commit (what the approval is attached to)' : 'Commit'} />

      <Warnings review={review} offline={offline} />

      <PolicyCard review={review} />

      {bodyText && (
        <section aria-labelledby="message-heading">
          <h2 id="message-heading" className="sr-only">
            Commit message
          </h2>
          <pre className="card overflow-x-auto font-mono text-sm leading-relaxed whitespace-pre-wrap break-words">{bodyText}</pre>
        </section>
      )}

      <CommitFacts review={review} />

      <StatementPreview review={review} />

      <DiffViewer diff={review.diff} source={offline ? undefined : { repo: review.repo, commit: review.commit, ...(change ? { base: change.base } : {}) }} />
    </article>
  );
}

/**
 * What a change is: the sentence of what an approval covers, where its base came from, and its
 * commits (oldest first), each a link to that commit on its own.
 */
function ChangeCard({ review, change }: { review: ReviewView; change: ChangeView }) {
  const hidden = change.commitCount - change.commits.length;
  return (
    <section aria-labelledby="change-heading" className="card space-y-3">
      <div>
        <h2 id="change-heading" className="text-base font-semibold">
          {plural(change.commitCount, 'commit')}
        </h2>
        <p className="mt-1 text-sm">
          From <code className="font-mono">{shortId(change.base, 7)}</code>
          {change.baseName && (
            <>
              {' '}
              (<span className="wrap-anywhere">{change.baseName}</span>)
            </>
          )}{' '}
          to <code className="font-mono">{shortId(review.commit, 7)}</code>, shown below as one combined diff.
        </p>
        {change.baseName && change.baseNameMoved && (
          <p className="mt-2 text-sm text-warn">
            <span className="wrap-anywhere">{change.baseName}</span> has moved since this link was made. This page, and an
            approval from it, stay on base {shortId(change.base, 7)}.{' '}
            <Link className="underline" href={`${reviewPath(review.repo, review.commit)}?base=${encodeURIComponent(change.baseName)}`}>
              Review against {change.baseName} now
            </Link>
          </p>
        )}
      </div>
      <ol className="divide-y divide-line" aria-label="Commits in this change">
        {change.commits.map((c) => (
          <li key={c.id}>
            <Link href={reviewPath(review.repo, c.id)} className="flex min-h-12 flex-col justify-center py-2 active:bg-surface">
              <span className="text-sm font-medium break-words">{c.title || '(no commit title)'}</span>
              <span className="text-xs text-muted">
                <span className="wrap-anywhere">{c.authorName}</span> · <span className="font-mono">{c.shortId}</span>
              </span>
            </Link>
          </li>
        ))}
      </ol>
      {hidden > 0 && <p className="text-xs text-muted">… and {plural(hidden, 'earlier commit')} not listed.</p>}
    </section>
  );
}

/** The message without its first line (which is the title shown as the heading). */
function messageBody(message: string, title: string): string {
  const lines = message.replace(/\r\n/g, '\n').split('\n');
  if (lines[0].trim() === title.trim()) lines.shift();
  return lines.join('\n').trim();
}

function Warnings({ review, offline }: { review: ReviewView; offline: boolean }) {
  return (
    <div className="space-y-2 empty:hidden">
      {!review.reachable && (
        <Alert tone="warn" title="Not on any branch">
          This commit is not reachable from any branch of the repository. It may be unmerged, rebased away or
          force-pushed over. Approve only if you know why.
        </Alert>
      )}
      {review.viewerKeyTrusted === false && !offline && (
        <Alert tone="warn" title="Your key is not trusted in this repository">
          Your passkey is not in this repository&apos;s <code className="font-mono">.countersign/allowed_signers</code>:
          {review.viewerHasSigned
            ? ' your approval is recorded but does not count until that line is added. See '
            : ' your approval will be recorded but will not count. See '}
          <Link href="/devices" className="underline">
            Devices
          </Link>{' '}
          for the line to add.
        </Alert>
      )}
      {review.pendingPublish && (
        <Alert tone="info" title="Waiting to publish">
          Some approvals are saved on the server but not yet pushed to the repository. They are retried
          automatically.
        </Alert>
      )}
    </div>
  );
}

function PolicyCard({ review }: { review: ReviewView }) {
  const p = review.policy;
  const pct = p.threshold > 0 ? Math.min(1, p.count / p.threshold) : 1;
  return (
    <section aria-labelledby="policy-heading" className="card space-y-3">
      <div className="flex items-center justify-between gap-3">
        <h2 id="policy-heading" className="text-base font-semibold">
          Approvals
        </h2>
        <span
          className={`rounded-full px-2.5 py-1 text-sm font-semibold ${p.met ? 'bg-ok-soft text-ok' : 'bg-warn-soft text-warn'}`}
        >
          {p.met ? 'Policy met' : 'Not yet met'}
        </span>
      </div>
      <div>
        <p className="text-sm">{policySummary(p.count, p.threshold, p.met)}</p>
        <svg aria-hidden="true" className="mt-2 block h-2 w-full" viewBox="0 0 100 2" preserveAspectRatio="none">
          <rect x="0" y="0" width="100" height="2" rx="1" className="fill-line" />
          <rect x="0" y="0" width={100 * pct} height="2" rx="1" className={p.met ? 'fill-ok' : 'fill-warn'} />
        </svg>
        {p.excludedAuthor && (
          <p className="mt-2 text-xs text-muted">
            {review.change
              ? 'Authors and committers of the change’s commits cannot approve it.'
              : `The author (${p.excludedAuthor}) cannot approve their own commit.`}
          </p>
        )}
      </div>
      {review.signatures.length === 0 ? (
        <p className="text-sm text-muted">{review.change ? 'No one has approved this change yet.' : 'No one has signed this commit yet.'}</p>
      ) : (
        <ul className="divide-y divide-line">
          {review.signatures.map((s, i) => (
            <SignatureRow key={i} s={s} />
          ))}
        </ul>
      )}
    </section>
  );
}

const SIGNATURE_TONES = {
  ok: 'bg-ok-soft text-ok',
  neutral: 'bg-surface text-muted border border-line',
  warn: 'bg-warn-soft text-warn',
  bad: 'bg-bad-soft text-bad',
} as const;

function SignatureRow({ s }: { s: SignatureLineView }) {
  const p = presentSignature(s);
  return (
    <li className="flex items-start gap-3 py-2.5" data-signature-status={p.status}>
      <span
        aria-hidden="true"
        className={`mt-0.5 inline-flex size-6 shrink-0 items-center justify-center rounded-full text-sm font-bold ${SIGNATURE_TONES[p.tone]}`}
      >
        {p.icon}
      </span>
      <div className="min-w-0 flex-1">
        <p className="text-sm font-medium wrap-anywhere">{s.signer}</p>
        <p className="text-xs text-muted">
          {s.verdict} · <time dateTime={s.time}>{formatDateTime(s.time)}</time>
        </p>
        {s.scope && s.scope !== 'change' && (
          <p className="mt-0.5 text-xs font-medium text-fg">
            {s.scope === 'last-commit' ? 'Approves only the last commit' : 'Approves part of this change (a later base)'}
          </p>
        )}
        <p className={`mt-0.5 text-xs font-medium ${p.tone === 'warn' ? 'text-warn' : p.tone === 'bad' ? 'text-bad' : p.tone === 'ok' ? 'text-ok' : 'text-fg'}`}>
          {p.label}
        </p>
        {s.reason && <p className="mt-0.5 text-xs text-muted wrap-anywhere">{s.reason}</p>}
        {s.fingerprint && <p className="mt-0.5 font-mono text-xs break-all text-muted">{s.fingerprint}</p>}
      </div>
    </li>
  );
}

function Person({ label, p }: { label: string; p: PersonView }) {
  return (
    <div className="py-2.5">
      <dt className="text-xs font-medium text-muted">{label}</dt>
      <dd className="text-sm">
        <span className="font-medium">{p.name}</span> <span className="wrap-anywhere text-muted">&lt;{p.email}&gt;</span>
        <br />
        <time dateTime={p.date} className="text-xs text-muted">
          {formatDateTime(p.date)} ({relativeTime(p.date)})
        </time>
      </dd>
    </div>
  );
}

function CommitFacts({ review }: { review: ReviewView }) {
  const sameCommitter =
    review.author.email === review.committer.email &&
    review.author.name === review.committer.name &&
    review.author.date === review.committer.date;
  return (
    <section aria-labelledby="facts-heading" className="card">
      <h2 id="facts-heading" className="text-base font-semibold">
        Details
      </h2>
      <dl className="mt-1 divide-y divide-line">
        {review.change && (
          <div className="py-2.5">
            <dt className="text-xs font-medium text-muted">Base (the change is shown and signed against it)</dt>
            <dd className="pt-1 text-sm">
              <Link
                href={reviewPath(review.repo, review.change.base)}
                className="inline-flex min-h-11 items-center rounded-lg border border-line px-3 font-mono text-sm underline-offset-2 hover:underline"
              >
                {review.change.baseShortId}
              </Link>
              <p className="mt-1 wrap-anywhere text-muted">{review.change.baseTitle}</p>
            </dd>
          </div>
        )}
        <Person label={sameCommitter ? 'Author and committer' : 'Author'} p={review.author} />
        {!sameCommitter && <Person label="Committer" p={review.committer} />}
        <div className="py-2.5">
          <dt className="text-xs font-medium text-muted">{review.parents.length === 1 ? 'Parent' : 'Parents'}</dt>
          <dd className="flex flex-wrap gap-2 pt-1 text-sm">
            {review.parents.length === 0 && <span>none (first commit)</span>}
            {review.parents.map((p) => (
              <Link
                key={p}
                href={reviewPath(review.repo, p)}
                className="inline-flex min-h-11 items-center rounded-lg border border-line px-3 font-mono text-sm underline-offset-2 hover:underline"
              >
                {shortId(p)}
              </Link>
            ))}
            {review.parents.length > 1 && <span className="self-center text-xs text-muted">merge commit</span>}
          </dd>
        </div>
        <div className="py-2.5">
          <dt className="text-xs font-medium text-muted">Commit signature (gpgsig)</dt>
          <dd className="text-sm">
            {review.commitSignature === 'present'
              ? 'Present — the author signed the commit itself (not checked here; Countersign records approvals separately).'
              : 'None — the commit itself is not signed by its author.'}
          </dd>
        </div>
        <div className="py-2.5">
          <dt className="text-xs font-medium text-muted">Branches</dt>
          <dd className="text-sm wrap-anywhere">
            {review.branches.length > 0 ? review.branches.join(', ') : <span className="text-muted">none</span>}
          </dd>
        </div>
        <div className="py-2.5">
          <dt className="text-xs font-medium text-muted">Tree</dt>
          <dd className="font-mono text-xs break-all">{review.tree}</dd>
        </div>
      </dl>
    </section>
  );
}

function StatementPreview({ review }: { review: ReviewView }) {
  return (
    <details className="card">
      <summary className="-m-4 flex min-h-11 items-center gap-2 p-4 font-semibold">
        <span className="chevron" aria-hidden="true">
          ▸
        </span>
        What you sign
      </summary>
      <div className="mt-3 space-y-2 text-sm">
        {review.statementPreview ? (
          <>
            <p>
              Approving signs exactly these bytes with your passkey (the time is set when you approve), under the
              namespace <code className="font-mono break-all">{review.namespace}</code>:
            </p>
            <pre className="overflow-x-auto rounded-lg bg-surface p-3 font-mono text-xs leading-relaxed">
              {review.statementPreview}
            </pre>
          </>
        ) : (
          <p className="text-muted">Sign in to see the statement your passkey would sign for this commit.</p>
        )}
      </div>
    </details>
  );
}
