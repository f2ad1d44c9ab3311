'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { browserSupportsWebAuthn, startAuthentication } from '@simplewebauthn/browser';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { UserView } from '@/lib/server/types';
import { apiPost } from '@/lib/ui/api';
import { passkeyErrorMessage } from '@/lib/ui/webauthn-errors';
import { errorMessage, FormError } from './useSubmit';

function isAbort(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  const name = (e as { name?: string } | null)?.name;
  return code === 'ERROR_CEREMONY_ABORTED' || name === 'AbortError';
}

/**
 * Passkey sign-in: a button, plus conditional UI where the browser offers it (the passkey
 * appears in the autofill list of the account field, no button needed).
 */
export function SignIn({ next }: { next: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [supported, setSupported] = useState(true);
  const conditionalStarted = useRef(false);

  async function finish(response: unknown) {
    await apiPost<{ user: UserView }>('/api/auth/login/verify', { response });
    router.replace(next);
    router.refresh();
  }

  async function startConditional() {
    try {
      if (typeof PublicKeyCredential === 'undefined') return;
      const available = await PublicKeyCredential.isConditionalMediationAvailable?.();
      if (!available) return;
      const optionsJSON = await apiPost<PublicKeyCredentialRequestOptionsJSON>('/api/auth/login/options', {});
      const response = await startAuthentication({ optionsJSON, useBrowserAutofill: true });
      setBusy(true);
      await finish(response);
    } catch (e) {
      // Autofill is a background offer: clicking the button aborts it, and any other failure
      // (no options from the server, no passkey picked) shows up when the button is used.
      if (!isAbort(e)) console.warn('passkey autofill unavailable:', e);
      setBusy(false);
    }
  }

  useEffect(() => {
    if (!browserSupportsWebAuthn()) {
      setSupported(false);
      return;
    }
    if (conditionalStarted.current) return;
    conditionalStarted.current = true;
    void startConditional();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  async function onClick() {
    setError(null);
    setBusy(true);
    try {
      const optionsJSON = await apiPost<PublicKeyCredentialRequestOptionsJSON>('/api/auth/login/options', {});
      let response;
      try {
        response = await startAuthentication({ optionsJSON });
      } catch (e) {
        throw new Error(passkeyErrorMessage(e, 'authenticate'));
      }
      await finish(response);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
      // Offer autofill again for the next attempt.
      void startConditional();
    }
  }

  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        void onClick();
      }}
    >
      <div>
        <label htmlFor="signin-account" className="mb-1 block text-sm font-medium">
          Account
        </label>
        <input
          id="signin-account"
          name="username"
          type="text"
          autoComplete="username webauthn"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="you@example.com"
          aria-describedby="signin-account-hint"
          className="field"
          // Browsers may fill this field (passkey autofill) before React hydrates.
          suppressHydrationWarning
        />
        <p id="signin-account-hint" className="mt-1 text-xs text-muted">
          Optional: tap the field to pick a saved passkey, or use the button.
        </p>
      </div>
      <button type="submit" className="btn-primary min-h-12 w-full text-lg" disabled={busy || !supported}>
        {busy ? 'Signing in…' : 'Sign in with a passkey'}
      </button>
      <div role="status" aria-live="polite" className="text-sm">
        {!supported && <p className="text-bad">This browser does not support passkeys. Use an up-to-date browser.</p>}
      </div>
      <FormError error={error} />
    </form>
  );
}
