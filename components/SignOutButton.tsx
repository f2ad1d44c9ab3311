'use client';

import { useState } from 'react';
import { apiPost } from '@/lib/ui/api';

export function SignOutButton({ className = '' }: { className?: string }) {
  const [busy, setBusy] = useState(false);
  async function signOut() {
    setBusy(true);
    try {
      await apiPost('/api/auth/logout');
    } catch {
      // Even if the server is unreachable, forget this user's data on the device.
    }
    // Loaded on demand: IndexedDB code is not needed on every page's first load.
    const { clearOfflineCache } = await import('@/lib/ui/offline-cache');
    await clearOfflineCache();
    // A full load: every server component re-renders signed out.
    window.location.assign('/');
  }
  return (
    <button type="button" onClick={signOut} disabled={busy} className={className}>
      Sign out
    </button>
  );
}
