'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { ApproveResultView, ReviewView } from '@/lib/server/types';
import { apiGet, apiPost } from '@/lib/ui/api';
import { noteLineTime } from '@/lib/ui/approval';
import { FILE_SHOWN_EVENT, viewedNotice } from '@/lib/ui/diff';
import { formatDateTime } from '@/lib/ui/format';
import { passkeyErrorMessage } from '@/lib/ui/webauthn-errors';
import { useSubmit } from './useSubmit';

interface ApproveOptions {
  approvalId: string;
  statement: string;
  namespace: string;
  options: PublicKeyCredentialRequestOptionsJSON;
}

type Step = { text: string; state: 'done' | 'active' | 'pending' };

/** Backoff for checking whether a saved approval has been pushed: 3 s doubling to 60 s, for 10 minutes. */
const POLL_START_MS = 3000;
const POLL_MAX_MS = 60000;
const POLL_FOR_MS = 10 * 60 * 1000;

/**
 * The thumb-reachable bottom bar: Approve, then each step of the approval in a status
 * region ("Signed", "Saved", "Published" or "Saved, will be published"). Once the viewer has
 * approved (just now, or before: on reload) the button says so and is disabled: approving again
 * with the same passkey would only find the approval already there.
 */
export function ApproveBar({
  repo,
  commit,
  base,
  scope,
  signedIn,
  viewerHasSigned,
  viewerSignedAt,
  viewerKeyTrusted,
  pendingPublish,
  signInHref,
  filesShown,
  filesTotal,
}: {
  repo: string;
  commit: string;
  /** A change: its base (full id); the approval signs the change from there to `commit`. */
  base?: string;
  /** What tapping Approve signs, in words ("You approve 3 commits from … to …"), shown above the button. */
  scope?: string;
  signedIn: boolean;
  viewerHasSigned: boolean;
  viewerSignedAt: string | null;
  viewerKeyTrusted: boolean | null;
  pendingPublish: boolean;
  signInHref: string;
  /** Files of the diff the page shows in full, of all of them (more as the reader loads files). */
  filesShown?: number;
  filesTotal?: number;
}) {
  const router = useRouter();
  const api = `/api/repos/${encodeURIComponent(repo)}/commits/${encodeURIComponent(commit)}`;
  const what = base ? 'this change' : 'this commit';
  const [steps, setSteps] = useState<Step[]>([]);
  const { busy, error, setError, run } = useSubmit();
  const [note, setNote] = useState<string | null>(null);
  const [waitingToPublish, setWaitingToPublish] = useState(false);
  /** Set by a successful approval here, before the refreshed page says so too. */
  const [approvedAt, setApprovedAt] = useState<string | null>(null);
  const approved = approvedAt !== null || viewerHasSigned;
  const doneAt = approvedAt ?? viewerSignedAt;
  const pollTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // Files loaded in full after the page came (each file's loader says so once).
  const [loadedLater, setLoadedLater] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => {
    const onShown = (e: Event) => setLoadedLater((s) => new Set(s).add(String((e as CustomEvent).detail)));
    window.addEventListener(FILE_SHOWN_EVENT, onShown);
    return () => window.removeEventListener(FILE_SHOWN_EVENT, onShown);
  }, []);
  const viewed = filesTotal === undefined ? null : viewedNotice((filesShown ?? 0) + loadedLater.size, filesTotal, base ? 'change' : 'commit');

  useEffect(() => () => {
    if (pollTimer.current) clearTimeout(pollTimer.current);
  }, []);

  // A saved approval is pushed by the server on its own; check back with backoff and
  // turn the last step into "Published" when it lands.
  useEffect(() => {
    if (!waitingToPublish) return;
    const started = Date.now();
    let delay = POLL_START_MS;
    let cancelled = false;
    const tick = async () => {
      if (cancelled) return;
      try {
        const r = await apiGet<ReviewView>(api);
        if (!r.pendingPublish) {
          setSteps((s) => s.map((x) => (x.text === 'Saved, will be published' ? { text: 'Published', state: 'done' } : x)));
          setWaitingToPublish(false);
          router.refresh();
          return;
        }
      } catch {
        // offline or server busy: keep trying
      }
      if (Date.now() - started > POLL_FOR_MS) return;
      delay = Math.min(delay * 2, POLL_MAX_MS);
      pollTimer.current = setTimeout(tick, delay);
    };
    pollTimer.current = setTimeout(tick, delay);
    return () => {
      cancelled = true;
      if (pollTimer.current) clearTimeout(pollTimer.current);
    };
  }, [waitingToPublish, api, router]);

  async function approve() {
    setNote(null);
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      setError('You are offline. Approving needs a network connection: the server must issue a fresh challenge.');
      return;
    }
    await run(async () => {
      setSteps([{ text: 'Waiting for your passkey…', state: 'active' }]);
      // The WebAuthn helper is fetched alongside the options, keeping it out of the first load.
      const [opts, { startAuthentication }] = await Promise.all([
        apiPost<ApproveOptions>(`${api}/approve/options`, { verdict: 'approve', ...(base ? { base } : {}) }),
        import('@simplewebauthn/browser'),
      ]);
      let response;
      try {
        response = await startAuthentication({ optionsJSON: opts.options });
      } catch (e) {
        throw new Error(passkeyErrorMessage(e, 'authenticate'));
      }
      setSteps([
        { text: 'Signed', state: 'done' },
        { text: 'Saving…', state: 'active' },
      ]);
      const result = await apiPost<ApproveResultView>(`${api}/approve/verify`, { approvalId: opts.approvalId, ...(base ? { base } : {}), response });
      const last: Step =
        result.status === 'published'
          ? { text: 'Published', state: 'done' }
          : result.status === 'saved'
            ? { text: 'Saved, will be published', state: 'active' }
            : { text: 'Already recorded — your earlier approval stands', state: 'done' };
      setSteps([
        { text: 'Signed', state: 'done' },
        { text: 'Saved', state: 'done' },
        last,
      ]);
      setApprovedAt(noteLineTime(result.line) ?? new Date().toISOString());
      if (result.status === 'saved') setWaitingToPublish(true);
      // Short, because the bar must stay small; the page's warning above gives the details.
      setNote(
        result.counted
          ? (result.warning ?? null)
          : "Recorded, but it does not count: your key is not in this repository's allowed_signers.",
      );
      router.refresh();
    }, () => setSteps([]));
  }

  return (
    <div className="fixed inset-x-0 bottom-0 z-20 border-t border-line bg-bg/95 backdrop-blur supports-[backdrop-filter]:bg-bg/85">
      <div className="mx-auto max-w-3xl space-y-2 px-4 pt-3 pb-[max(0.75rem,env(safe-area-inset-bottom))]">
        <div role="status" aria-live="polite" className="space-y-1 text-sm">
          {steps.length > 0 && (
            <ol className="flex flex-wrap gap-x-4 gap-y-1">
              {steps.map((s) => (
                <li key={s.text} className="flex items-center gap-1.5">
                  <span
                    aria-hidden="true"
                    className={`inline-flex size-5 items-center justify-center rounded-full text-xs font-bold ${
                      s.state === 'done' ? 'bg-ok-soft text-ok' : 'bg-accent-soft text-accent'
                    }`}
                  >
                    {s.state === 'done' ? '✓' : '…'}
                  </span>
                  <span className={s.state === 'done' ? 'font-medium' : ''}>{s.text}</span>
                </li>
              ))}
            </ol>
          )}
          {!busy && approved && (
            <p className="text-ok">
              You approved {what}
              {doneAt && (
                <>
                  {' '}
                  on <time dateTime={doneAt}>{formatDateTime(doneAt)}</time>
                </>
              )}
              .
              {steps.length === 0 && viewerKeyTrusted === false && (
                <span className="text-warn"> It does not count until your key is in this repository&apos;s allowed_signers.</span>
              )}
            </p>
          )}
          {note && <p className="text-xs text-warn wrap-anywhere">{note}</p>}
          {!busy && steps.length === 0 && pendingPublish && viewerHasSigned && (
            <p className="text-muted">Saved, will be published — the server retries by itself.</p>
          )}
        </div>
        {error && (
          <p role="alert" className="text-sm text-bad">
            {error}
          </p>
        )}
        {scope && !approved && (
          <p className="text-sm font-medium" id="approve-scope">
            {scope}
          </p>
        )}
        {viewed && !approved && (
          <p className="text-xs text-muted" id="approve-viewed">
            {viewed}
          </p>
        )}
        {signedIn ? (
          <>
            <button
              type="button"
              onClick={approve}
              disabled={busy || approved}
              aria-describedby={viewerKeyTrusted === false && !note && !approved ? 'approve-untrusted' : undefined}
              className={`${approved ? 'btn-secondary' : 'btn-primary'} min-h-12 w-full text-lg`}
            >
              {busy ? (
                'Approving…'
              ) : approved ? (
                <>
                  Approved <span aria-hidden="true">✓</span>
                </>
              ) : (
                'Approve'
              )}
            </button>
            {viewerKeyTrusted === false && !note && !approved && (
              <p id="approve-untrusted" className="text-center text-xs text-muted">
                Your approval will be recorded but will not count.
              </p>
            )}
          </>
        ) : (
          <Link href={signInHref} className="btn-primary min-h-12 w-full text-lg">
            Sign in to approve
          </Link>
        )}
      </div>
    </div>
  );
}
