import type { ReactNode } from 'react';

const TONES = {
  info: 'border-accent/40 bg-accent-soft text-fg',
  ok: 'border-ok/40 bg-ok-soft text-fg',
  warn: 'border-warn/50 bg-warn-soft text-fg',
  bad: 'border-bad/50 bg-bad-soft text-fg',
} as const;

const ICONS = { info: 'ℹ', ok: '✓', warn: '!', bad: '✕' } as const;

/** A boxed message. Pass `role="alert"` for errors that appear after an action. */
export function Alert({
  tone = 'info',
  title,
  children,
  role,
}: {
  tone?: keyof typeof TONES;
  title?: string;
  children?: ReactNode;
  role?: 'alert' | 'status';
}) {
  return (
    <div role={role} className={`flex gap-3 rounded-xl border p-3 text-sm ${TONES[tone]}`}>
      <span aria-hidden="true" className="mt-0.5 inline-flex size-5 shrink-0 items-center justify-center rounded-full bg-raised text-xs font-bold">
        {ICONS[tone]}
      </span>
      <div className="min-w-0">
        {title && <p className="font-semibold">{title}</p>}
        {children && <div className={title ? 'mt-0.5' : ''}>{children}</div>}
      </div>
    </div>
  );
}
