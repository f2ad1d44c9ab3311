import type { SignatureLineView, SignatureStatus } from '../server/types';

/** How one signature line is presented: a colour, a symbol, and words that say what it is. */
export interface SignaturePresentation {
  status: SignatureStatus;
  tone: 'ok' | 'neutral' | 'warn' | 'bad';
  icon: string;
  label: string;
}

const PRESENTATION: Record<SignatureStatus, Omit<SignaturePresentation, 'status'>> = {
  counted: { tone: 'ok', icon: '✓', label: 'Counted' },
  // A good signature that the policy does not count (the author's own, a repeat): nothing wrong with it.
  'not-counted': { tone: 'neutral', icon: '–', label: 'Valid signature — does not count' },
  // Good, but the repository does not list the key (yet): recorded, and it counts once the key is added.
  'valid-untrusted': { tone: 'warn', icon: '!', label: 'Valid signature — key not in allowed_signers (does not count)' },
  // Only what really fails to verify is shown as a failure.
  invalid: { tone: 'bad', icon: '✕', label: 'Does not verify' },
};

/**
 * The presentation of a signature line. Reviews saved for offline reading before `status`
 * existed carry only ok/counted; those read as before (a refused line as "does not verify").
 */
export function presentSignature(s: Pick<SignatureLineView, 'ok' | 'counted'> & { status?: SignatureStatus }): SignaturePresentation {
  const status: SignatureStatus = s.status && s.status in PRESENTATION ? s.status : s.counted ? 'counted' : s.ok ? 'not-counted' : 'invalid';
  return { status, ...PRESENTATION[status] };
}
