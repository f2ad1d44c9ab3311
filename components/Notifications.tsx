'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import type { DeviceView } from '@/lib/server/types';
import { apiRequest } from '@/lib/ui/api';
import { browserPushEnvironment, pushSupport, type PushSupport } from '@/lib/ui/push-support';
import { FormError, useSubmit } from './useSubmit';

/** The service worker that shows notifications: the one the app registered, or registered now. */
async function workerRegistration(): Promise<ServiceWorkerRegistration> {
  const existing = await navigator.serviceWorker.getRegistration('/');
  if (!existing) await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  return navigator.serviceWorker.ready;
}

/**
 * Notifications per device: on this browser a switch (the permission is asked only when it is
 * tapped, never on load), and for the other devices how many browsers get notifications and a
 * way to turn them off (e.g. a phone left somewhere). Where the browser must install the app
 * first (iOS), it says how.
 */
export function Notifications({ devices, thisDevice, byDevice }: { devices: DeviceView[]; thisDevice: string | null; byDevice: Record<string, number> }) {
  const router = useRouter();
  const [support, setSupport] = useState<PushSupport | null>(null);
  const [on, setOn] = useState<boolean | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const { busy, error, setError, run } = useSubmit();
  const active = devices.filter((d) => !d.revokedAt);
  const current = active.find((d) => d.id === thisDevice);

  useEffect(() => {
    const s = pushSupport(browserPushEnvironment());
    setSupport(s);
    if (s !== 'ready') return;
    // Only reads state: no permission prompt, no subscription on load.
    void navigator.serviceWorker.getRegistration('/').then(async (reg) => {
      const sub = reg ? await reg.pushManager.getSubscription() : null;
      setOn(sub !== null && Notification.permission === 'granted' && (thisDevice ? (byDevice[thisDevice] ?? 0) > 0 : false));
    });
  }, [thisDevice, byDevice]);

  async function turnOn() {
    await run(async () => {
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        setError('Notifications are blocked for this site. Allow them in the browser’s site settings, then try again.');
        return;
      }
      const reg = await workerRegistration();
      const { publicKey } = await apiRequest<{ publicKey: string }>('GET', '/api/push/key');
      const sub =
        (await reg.pushManager.getSubscription()) ??
        (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey }));
      await apiRequest('POST', '/api/push/subscription', sub.toJSON());
      setOn(true);
      setStatus('Notifications are on for this browser.');
      router.refresh();
    });
  }

  async function turnOff() {
    await run(async () => {
      const reg = await navigator.serviceWorker.getRegistration('/');
      const sub = reg ? await reg.pushManager.getSubscription() : null;
      if (sub) {
        await apiRequest('DELETE', '/api/push/subscription', { endpoint: sub.endpoint });
        await sub.unsubscribe().catch(() => false);
      }
      setOn(false);
      setStatus('Notifications are off for this browser.');
      router.refresh();
    });
  }

  async function turnOffDevice(d: DeviceView) {
    await run(async () => {
      await apiRequest('DELETE', `/api/push/devices/${encodeURIComponent(d.id)}`);
      setStatus(`Notifications are off for ${d.name}.`);
      router.refresh();
    });
  }

  return (
    <section aria-labelledby="notifications-heading" className="card space-y-3">
      <div className="space-y-1">
        <h2 id="notifications-heading" className="text-lg font-semibold">
          Notifications
        </h2>
        <p className="text-sm text-muted">
          Review requests for you, your requests reaching their policy, and an alarm whenever one of your keys signs anything.
        </p>
      </div>
      {support === 'install-first' && (
        <p className="rounded-lg bg-warn-soft p-3 text-sm" data-testid="install-first">
          To get notifications on this iPhone or iPad, add Countersign to your Home Screen first: tap Share, then
          <strong> Add to Home Screen</strong>, open it from there and come back to this page.
        </p>
      )}
      {support === 'unsupported' && <p className="text-sm text-muted">This browser cannot receive notifications.</p>}
      {support === 'ready' && (
        <div className="flex items-center justify-between gap-3">
          <p className="text-sm">
            This browser{current ? ` (${current.name})` : ''}: <strong>{on ? 'on' : 'off'}</strong>
          </p>
          <button
            type="button"
            role="switch"
            aria-checked={on === true}
            aria-label="Notifications on this browser"
            className={on ? 'btn-secondary shrink-0' : 'btn-primary shrink-0'}
            disabled={busy || on === null}
            onClick={() => void (on ? turnOff() : turnOn())}
          >
            {on ? 'Turn off' : 'Turn on'}
          </button>
        </div>
      )}
      {active.some((d) => d.id !== thisDevice && (byDevice[d.id] ?? 0) > 0) && (
        <ul className="divide-y divide-line" aria-label="Other devices with notifications on">
          {active
            .filter((d) => d.id !== thisDevice && (byDevice[d.id] ?? 0) > 0)
            .map((d) => (
              <li key={d.id} className="flex items-center justify-between gap-3 py-2 text-sm">
                <span>
                  {d.name}: on in {byDevice[d.id]} browser{byDevice[d.id] === 1 ? '' : 's'}
                </span>
                <button type="button" className="btn-secondary shrink-0 px-3" disabled={busy} onClick={() => void turnOffDevice(d)} aria-label={`Turn off notifications on ${d.name}`}>
                  Turn off
                </button>
              </li>
            ))}
        </ul>
      )}
      <div role="status" aria-live="polite" className="text-sm text-ok">
        {status}
      </div>
      <FormError error={error} />
    </section>
  );
}
