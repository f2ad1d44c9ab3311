'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { browserSupportsWebAuthn, startRegistration } from '@simplewebauthn/browser';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import type { DeviceView, UserView } from '@/lib/server/types';
import { apiPost } from '@/lib/ui/api';
import { guessDeviceName } from '@/lib/ui/enroll';
import { passkeyErrorMessage } from '@/lib/ui/webauthn-errors';
import { AllowedSignersHelp, SignerLine } from './AllowedSignersHelp';
import { useSubmit } from './useSubmit';

/**
 * Creates a passkey, with an invite (new account) or without one (a signed-in user adding
 * another device), then shows the key's allowed_signers line and how to use it.
 */
export function Enroll({
  inviteToken,
  onDone,
  beforeCreate,
}: {
  inviteToken?: string;
  onDone?: () => void;
  /** Runs first (adding a device: the fresh passkey check); may report progress. */
  beforeCreate?: (setStatus: (s: string) => void) => Promise<void>;
}) {
  const [deviceName, setDeviceName] = useState('');
  const { busy, error, run } = useSubmit();
  const [status, setStatus] = useState<string | null>(null);
  const [result, setResult] = useState<{ user: UserView; device: DeviceView; rpId: string; origin: string } | null>(null);
  const [supported, setSupported] = useState(true);
  const resultHeading = useRef<HTMLHeadingElement>(null);
  const router = useRouter();

  useEffect(() => {
    setDeviceName((n) => n || guessDeviceName(navigator.userAgent));
    setSupported(browserSupportsWebAuthn());
  }, []);

  useEffect(() => {
    if (result) resultHeading.current?.focus();
  }, [result]);

  async function create() {
    await run(
      async () => {
        if (beforeCreate) await beforeCreate(setStatus);
        setStatus('Preparing…');
        const optionsJSON = await apiPost<PublicKeyCredentialCreationOptionsJSON>(
          '/api/auth/register/options',
          inviteToken ? { inviteToken } : {},
        );
        setStatus('Confirm with your fingerprint, face or screen lock…');
        let response;
        try {
          response = await startRegistration({ optionsJSON });
        } catch (e) {
          throw new Error(passkeyErrorMessage(e, 'register'));
        }
        setStatus('Checking the new passkey…');
        const name = deviceName.trim() || guessDeviceName(navigator.userAgent);
        const r = await apiPost<{ user: UserView; device: DeviceView }>('/api/auth/register/verify', {
          ...(inviteToken ? { inviteToken } : {}),
          deviceName: name,
          response,
        });
        setStatus('Passkey created.');
        // The RP ID the passkey was made for and the origin it was made on: what policy.json must name.
        setResult({ ...r, rpId: optionsJSON.rp.id ?? window.location.hostname, origin: window.location.origin });
        // Enrolling by invite also signs in: re-render the server parts (the header's navigation and
        // Sign out) now, since the layout is not rendered again on a client-side navigation.
        if (inviteToken) router.refresh();
        onDone?.();
      },
      () => setStatus(null),
    );
  }

  if (result) {
    return (
      <div className="space-y-4">
        <div className="card space-y-1 border-ok/50 bg-ok-soft">
          <h2 ref={resultHeading} tabIndex={-1} className="text-lg font-semibold">
            Passkey created
          </h2>
          <p className="text-sm">
            <strong>{result.device.name}</strong> can now approve commits as{' '}
            <strong className="wrap-anywhere">{result.user.email}</strong>.
          </p>
        </div>
        <div className="card space-y-4">
          <SignerLine line={result.device.allowedSignersLine} fingerprint={result.device.fingerprint} />
          <AllowedSignersHelp
            line={result.device.allowedSignersLine}
            email={result.user.email}
            deviceName={result.device.name}
            rpId={result.rpId}
            origin={result.origin}
          />
        </div>
        {inviteToken && (
          <Link href="/" className="btn-primary w-full">
            Go to your inbox
          </Link>
        )}
      </div>
    );
  }

  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
    >
      <div>
        <label htmlFor="device-name" className="mb-1 block text-sm font-medium">
          Device name
        </label>
        <input
          id="device-name"
          className="field"
          value={deviceName}
          onChange={(e) => setDeviceName(e.target.value)}
          maxLength={60}
          autoComplete="off"
          aria-describedby="device-name-hint"
        />
        <p id="device-name-hint" className="mt-1 text-xs text-muted">
          Helps you tell your keys apart later, e.g. &quot;Work phone&quot;.
        </p>
      </div>
      <button type="submit" className="btn-primary min-h-12 w-full text-lg" disabled={busy || !supported}>
        {busy ? 'Creating passkey…' : inviteToken ? 'Create passkey' : 'Add another device'}
      </button>
      <div role="status" aria-live="polite" className="text-sm text-muted">
        {!supported ? 'This browser does not support passkeys. Use an up-to-date browser.' : status}
      </div>
      {error && (
        <div role="alert" className="rounded-xl border border-bad/50 bg-bad-soft p-3 text-sm">
          <p className="font-semibold">No passkey was added</p>
          <p className="mt-0.5">{error}</p>
        </div>
      )}
    </form>
  );
}
