import { groupId } from '@/lib/ui/commit-id';
import { Fingerprint } from './Fingerprint';
import { CopyButton } from './CopyButton';

/**
 * The full commit id, large and in blocks of four so it can be read aloud and compared with
 * `git log` on another screen, with the visual fingerprint above it.
 */
export function CommitId({ id, objectFormat, label = 'Commit' }: { id: string; objectFormat?: 'sha1' | 'sha256'; label?: string }) {
  const groups = groupId(id);
  return (
    <div className="card">
      <div className="flex items-center justify-between gap-3">
        <p className="text-sm font-medium text-muted">
          {label}
          {objectFormat === 'sha256' ? ' (SHA-256)' : ''}
        </p>
        <CopyButton text={id} label="Copy commit id" />
      </div>
      <div className="mt-2">
        <Fingerprint id={id} />
      </div>
      <p
        className="mt-3 flex flex-wrap gap-x-3 gap-y-1 font-mono text-xl leading-snug font-semibold tracking-wide sm:text-2xl"
        aria-label={`Commit id ${id}`}
      >
        {groups.map((g, i) => (
          <span key={i} className={i % 2 ? 'text-fg' : 'text-accent'}>
            {g}
          </span>
        ))}
      </p>
      <p className="mt-2 text-xs text-muted">Compare with <code className="font-mono">git log</code> or the link you were sent.</p>
    </div>
  );
}
