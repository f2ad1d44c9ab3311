'use client';

import { useRouter } from 'next/navigation';
import { Enroll } from './InviteEnroll';

/** "Add another device": a new passkey for the signed-in user, then the list refreshes. */
export function AddDevice() {
  const router = useRouter();
  return <Enroll onDone={() => router.refresh()} />;
}
