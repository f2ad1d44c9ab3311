'use client';

import { useState } from 'react';
import { apiPost } from '@/lib/ui/api';
import { formatDateTime } from '@/lib/ui/format';
import { CopyButton } from './CopyButton';
import { FormError, useSubmit } from './useSubmit';

export function InviteForm() {
  const [email, setEmail] = useState('');
  const [admin, setAdmin] = useState(false);
  const { busy, error, run } = useSubmit();
  const [invite, setInvite] = useState<{ url: string; expiresAt: string; email: string } | null>(null);

  async function submit() {
    await run(async () => {
      const r = await apiPost<{ url: string; expiresAt: string }>('/api/invites', { email: email.trim(), admin });
      setInvite({ ...r, email: email.trim() });
      setEmail('');
      setAdmin(false);
    });
  }

  return (
    <form
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div>
        <label htmlFor="invite-email" className="mb-1 block text-sm font-medium">
          Email
        </label>
        <input
          id="invite-email"
          type="email"
          required
          className="field"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          autoCapitalize="none"
          autoComplete="off"
          aria-describedby="invite-email-hint"
        />
        <p id="invite-email-hint" className="mt-1 text-xs text-muted">
          Also their signer identity in allowed_signers and in every signature.
        </p>
      </div>
      <label className="flex min-h-11 items-center gap-3 text-sm">
        <input type="checkbox" className="size-5 accent-accent" checked={admin} onChange={(e) => setAdmin(e.target.checked)} />
        Administrator (can invite people and create bot tokens)
      </label>
      <button type="submit" className="btn-primary w-full" disabled={busy}>
        Create invite
      </button>
      <div role="status" aria-live="polite">
        {invite && (
          <div className="space-y-2 rounded-lg border border-ok/50 bg-ok-soft p-3 text-sm">
            <p>
              Invite for <strong className="wrap-anywhere">{invite.email}</strong>, valid once until{' '}
              {formatDateTime(invite.expiresAt)}. Send this link to them privately:
            </p>
            <p className="rounded bg-raised p-2 font-mono text-xs break-all">{invite.url}</p>
            <CopyButton text={invite.url} label="Copy invite link" />
          </div>
        )}
      </div>
      <FormError error={error} />
    </form>
  );
}

export function TokenForm() {
  const [name, setName] = useState('');
  const { busy, error, run } = useSubmit();
  const [token, setToken] = useState<{ name: string; token: string } | null>(null);

  async function submit() {
    await run(async () => {
      const r = await apiPost<{ token: string }>('/api/tokens', { name: name.trim() });
      setToken({ name: name.trim(), token: r.token });
      setName('');
    });
  }

  return (
    <form
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div>
        <label htmlFor="token-name" className="mb-1 block text-sm font-medium">
          Bot name
        </label>
        <input
          id="token-name"
          required
          maxLength={80}
          className="field"
          value={name}
          onChange={(e) => setName(e.target.value)}
          autoComplete="off"
          placeholder="ci-bot"
        />
      </div>
      <button type="submit" className="btn-primary w-full" disabled={busy}>
        Create bot token
      </button>
      <div role="status" aria-live="polite">
        {token && (
          <div className="space-y-2 rounded-lg border border-warn/50 bg-warn-soft p-3 text-sm">
            <p>
              Token for <strong>{token.name}</strong>. It is shown only this once: store it in your CI&apos;s secrets now.
            </p>
            <p className="rounded bg-raised p-2 font-mono text-xs break-all">{token.token}</p>
            <CopyButton text={token.token} label="Copy token" />
            <p className="text-xs text-muted">
              Bots send it as <code className="font-mono">Authorization: Bearer …</code> to{' '}
              <code className="font-mono">POST /api/requests</code>.
            </p>
          </div>
        )}
      </div>
      <FormError error={error} />
    </form>
  );
}
