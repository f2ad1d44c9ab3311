'use client';

import { useRouter } from 'next/navigation';
import { startAuthentication } from '@simplewebauthn/browser';
import type { StepUpOptions } from '@/lib/auth/devices';
import { apiPost } from '@/lib/ui/api';
import { passkeyErrorMessage } from '@/lib/ui/webauthn-errors';
import { Enroll } from './InviteEnroll';

/**
 * Adding a device needs a passkey check from the last few minutes: unless this session was
 * opened (or checked) that recently, one of your passkeys confirms first.
 */
async function confirmItIsYou(setStatus: (s: string) => void): Promise<void> {
  const step = await apiPost<StepUpOptions>('/api/auth/register/step-up/options');
  if (step.fresh) return;
  setStatus('First confirm it is you with a passkey you already have…');
  let response;
  try {
    response = await startAuthentication({ optionsJSON: step.options });
  } catch (e) {
    throw new Error(passkeyErrorMessage(e, 'authenticate'));
  }
  await apiPost('/api/auth/register/step-up/verify', { response });
}

/** "Add another device": a check with an existing passkey if needed, a new passkey, then the list refreshes. */
export function AddDevice() {
  const router = useRouter();
  return <Enroll beforeCreate={confirmItIsYou} onDone={() => router.refresh()} />;
}
