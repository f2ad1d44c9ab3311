import type { Metadata } from 'next';
import Link from 'next/link';
import { AddDevice } from '@/components/AddDevice';
import { DeviceList } from '@/components/DeviceList';
import { MySignatures } from '@/components/MySignatures';
import { Notifications } from '@/components/Notifications';
import { cookies } from 'next/headers';
import { readCookie } from '@/lib/auth/sessions';
import { notificationState } from '@/lib/notify/api';
import { getApp } from '@/lib/server';
import { signaturesOf } from '@/lib/server/my-signatures';
import { currentUser, devicesFor } from '../_lib/data';

export const metadata: Metadata = { title: 'Devices' };

export default async function DevicesPage() {
  const user = await currentUser();
  if (!user) {
    return (
      <div className="space-y-4 py-6">
        <h1 className="text-2xl font-bold">Devices</h1>
        <p>Sign in to see and manage your passkeys.</p>
        <Link href="/?next=%2Fdevices" className="btn-primary">
          Sign in
        </Link>
      </div>
    );
  }
  const app = await getApp();
  const [devices, signatures, notifications] = await Promise.all([
    devicesFor(user),
    signaturesOf(app, user),
    notificationState(app, user, readCookie(await cookies())),
  ]);
  return (
    <div className="space-y-6">
      <div className="space-y-1">
        <h1 className="text-2xl font-bold">Devices</h1>
        <p className="text-sm text-muted">
          Passkeys that can approve as <strong className="wrap-anywhere text-fg">{user.email}</strong>. Each has its own line
          for a repository&apos;s allowed_signers.
        </p>
      </div>
      <DeviceList devices={devices} />
      <Notifications devices={devices} thisDevice={notifications.thisDevice} byDevice={notifications.byDevice} />
      <section aria-labelledby="add-heading" className="card space-y-3">
        <h2 id="add-heading" className="text-lg font-semibold">
          Add another device
        </h2>
        <p className="text-sm text-muted">
          Create a passkey on this browser or phone, or on a security key. Its key gets its own allowed_signers line.
        </p>
        <AddDevice />
      </section>
      <MySignatures items={signatures.items} total={signatures.total} />
    </div>
  );
}
