import type { Metadata } from 'next';
import { Enroll } from '@/components/InviteEnroll';

export const metadata: Metadata = { title: 'Create your passkey', referrer: 'no-referrer' };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return (
    <div className="mx-auto max-w-md space-y-5 py-4">
      <div className="space-y-2">
        <h1 className="text-2xl font-bold">You&apos;re invited to Countersign</h1>
        <p className="text-muted">
          Create a passkey on this device. You will use it to approve git commits: each approval is signed on this
          device, after your fingerprint, face or screen lock, and the server cannot sign for you.
        </p>
      </div>
      <ol className="card list-decimal space-y-1.5 pl-9 text-sm">
        <li>Name this device and tap Create passkey.</li>
        <li>Your device asks you to confirm; the passkey is created and stays on it (or in your passkey manager).</li>
        <li>You get a line for the repository&apos;s allowed_signers file, so your approvals count.</li>
      </ol>
      <Enroll inviteToken={token} />
      <p className="text-xs text-muted">
        An invite works once and expires after a day. If it has expired or was already used, ask an administrator for a
        new one.
      </p>
    </div>
  );
}
