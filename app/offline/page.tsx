import type { Metadata } from 'next';
import { OfflineView } from '@/components/OfflineView';

export const metadata: Metadata = { title: 'Offline' };

/**
 * The page the service worker keeps and serves, at whatever address was asked for, when the
 * network is gone. It renders from IndexedDB in the browser.
 */
export default function OfflinePage() {
  return <OfflineView />;
}
