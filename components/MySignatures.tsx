import Link from 'next/link';
import type { MySignatureView } from '@/lib/server/my-signatures';
import { changePath, reviewPath, shortId } from '@/lib/ui/commit-id';
import { formatDateTime, plural } from '@/lib/ui/format';

/**
 * Every signature your keys made (passkeys, and keys allowed_signers lists for you), read from the repositories' notes. A line here that you do
 * not remember making is the sign of a server that misused one of your passkey ceremonies.
 */
export function MySignatures({ items, total }: { items: MySignatureView[]; total: number }) {
  return (
    <section aria-labelledby="my-signatures-heading" className="card space-y-3">
      <div className="space-y-1">
        <h2 id="my-signatures-heading" className="text-lg font-semibold">
          Your signatures
        </h2>
        <p className="text-sm text-muted">
          Every line signed by your passkeys, or by a key the repositories&apos; allowed_signers list for you, in their notes{total > items.length ? ` (the newest ${items.length} of ${total})` : ''}.
          One you do not remember making means a passkey prompt was used for something else (or a key was stolen): revoke that device and tell an admin. With notifications on, each new one also sets off an alarm on your devices.
        </p>
      </div>
      {items.length === 0 ? (
        <p className="text-sm text-muted">No signatures yet.</p>
      ) : (
        <ul className="divide-y divide-line" aria-label={`${total} ${plural(total, 'signature')}`}>
          {items.map((s) => (
            <li key={`${s.repo} ${s.commit} ${s.fingerprint} ${s.time} ${s.verdict} ${s.base ?? ''}`} className="py-2 text-sm">
              <Link href={s.base ? changePath(s.repo, s.commit, s.base) : reviewPath(s.repo, s.commit)} className="font-medium underline">
                {s.repo} <span className="font-mono">{shortId(s.commit)}</span>
              </Link>{' '}
              <span>{s.verdict}</span>
              <span className="block text-xs text-muted">
                {formatDateTime(s.time)} · {s.device}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
