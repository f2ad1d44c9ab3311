'use client';

import { useEffect } from 'react';

/**
 * Registers /sw.js in production builds. Not in development: a worker caching
 * /_next/static would fight hot reloading.
 */
export function ServiceWorker() {
  useEffect(() => {
    if (process.env.NODE_ENV !== 'production' || !('serviceWorker' in navigator)) return;
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
      // No worker means no offline mode; the app itself works the same.
    });
  }, []);
  return null;
}
