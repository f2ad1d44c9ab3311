'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { DeviceView } from '@/lib/server/types';
import { apiRequest } from '@/lib/ui/api';
import { formatDateTime, relativeTime } from '@/lib/ui/format';
import { SignerLine } from './AllowedSignersHelp';
import { FormError, useSubmit } from './useSubmit';

export function DeviceList({ devices }: { devices: DeviceView[] }) {
  const active = devices.filter((d) => !d.revokedAt);
  const revoked = devices.filter((d) => d.revokedAt);
  return (
    <div className="space-y-3">
      {active.length === 0 && <p className="card text-sm text-muted">No active passkeys. Add one below.</p>}
      <ul className="space-y-3">
        {active.map((d) => (
          <li key={d.id}>
            <DeviceCard device={d} only={active.length === 1} />
          </li>
        ))}
      </ul>
      {revoked.length > 0 && (
        <details className="card">
          <summary className="-m-4 flex min-h-11 items-center gap-2 p-4 text-sm font-semibold">
            <span className="chevron" aria-hidden="true">
              ▸
            </span>
            Revoked ({revoked.length})
          </summary>
          <ul className="mt-3 divide-y divide-line">
            {revoked.map((d) => (
              <li key={d.id} className="py-2 text-sm">
                <p className="font-medium">{d.name}</p>
                <p className="text-xs text-muted">
                  revoked {formatDateTime(d.revokedAt)} · <span className="font-mono break-all">{d.fingerprint}</span>
                </p>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function DeviceCard({ device, only }: { device: DeviceView; only: boolean }) {
  const router = useRouter();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(device.name);
  const [confirming, setConfirming] = useState(false);
  const { busy, error, setError, run } = useSubmit();
  const [status, setStatus] = useState<string | null>(null);
  const url = `/api/devices/${encodeURIComponent(device.id)}`;

  async function rename() {
    const n = name.trim();
    if (!n) {
      setError('A name cannot be empty.');
      return;
    }
    await run(async () => {
      await apiRequest<DeviceView>('PATCH', url, { name: n });
      setEditing(false);
      setStatus('Name saved.');
      router.refresh();
    });
  }

  async function revoke() {
    await run(
      async () => {
        await apiRequest<DeviceView>('DELETE', url);
        setStatus('Device revoked.');
        router.refresh();
      },
      () => setConfirming(false),
    );
  }

  const nameId = `device-name-${device.id}`;
  return (
    <article className="card space-y-3" aria-labelledby={`${nameId}-h`}>
      {editing ? (
        <form
          className="space-y-2"
          onSubmit={(e) => {
            e.preventDefault();
            void rename();
          }}
        >
          <label htmlFor={nameId} className="block text-sm font-medium">
            Device name
          </label>
          <input id={nameId} className="field" value={name} maxLength={60} onChange={(e) => setName(e.target.value)} autoFocus />
          <div className="flex gap-2">
            <button type="submit" className="btn-primary flex-1" disabled={busy}>
              Save name
            </button>
            <button
              type="button"
              className="btn-secondary flex-1"
              onClick={() => {
                setEditing(false);
                setName(device.name);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="flex items-start justify-between gap-2">
          <div className="min-w-0">
            <h2 id={`${nameId}-h`} className="text-base font-semibold break-words">
              {device.name}
            </h2>
            <p className="text-xs text-muted">
              added {formatDateTime(device.createdAt)} · last used{' '}
              {device.lastUsedAt ? (
                <time dateTime={device.lastUsedAt}>{relativeTime(device.lastUsedAt)}</time>
              ) : (
                'never'
              )}
            </p>
          </div>
          <button type="button" className="btn-secondary shrink-0 px-3 text-sm" onClick={() => setEditing(true)} aria-label={`Rename ${device.name}`}>
            Rename
          </button>
        </div>
      )}

      <details>
        <summary className="flex min-h-11 items-center gap-2 text-sm font-medium">
          <span className="chevron" aria-hidden="true">
            ▸
          </span>
          Key and allowed_signers line
        </summary>
        <div className="mt-2">
          <SignerLine line={device.allowedSignersLine} fingerprint={device.fingerprint} />
        </div>
      </details>

      {confirming ? (
        <div role="group" aria-label="Confirm revoking" className="space-y-2 rounded-lg border border-bad/50 bg-bad-soft p-3 text-sm">
          <p>
            Revoke <strong>{device.name}</strong>? It will no longer sign in or approve; if this is the device you are
            using, you will be signed out. Also remove its line from each repository&apos;s allowed_signers.
            {only && (
              <strong className="mt-1 block">
                This is your only passkey: afterwards you cannot sign in until an administrator invites you again.
              </strong>
            )}
          </p>
          <div className="flex gap-2">
            <button type="button" className="btn-danger flex-1" onClick={revoke} disabled={busy}>
              Yes, revoke
            </button>
            <button type="button" className="btn-secondary flex-1" onClick={() => setConfirming(false)} disabled={busy}>
              Keep it
            </button>
          </div>
        </div>
      ) : (
        <button type="button" className="btn-danger w-full" onClick={() => setConfirming(true)} aria-label={`Revoke ${device.name}`}>
          Revoke
        </button>
      )}
      <div role="status" aria-live="polite" className="text-sm text-ok">
        {status}
      </div>
      <FormError error={error} />
    </article>
  );
}
