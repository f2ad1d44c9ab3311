import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { Header } from '@/components/Header';
import { ServiceWorker } from '@/components/ServiceWorker';
import { currentUser } from './_lib/data';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Countersign', template: '%s · Countersign' },
  description: 'Review git commits and approve them with a passkey.',
  applicationName: 'Countersign',
  manifest: '/manifest.webmanifest',
  icons: {
    icon: [
      { url: '/icons/icon-32.png', sizes: '32x32', type: 'image/png' },
      { url: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
    ],
    apple: [{ url: '/icons/apple-touch-icon.png', sizes: '180x180' }],
  },
  appleWebApp: { capable: true, title: 'Countersign', statusBarStyle: 'default' },
  // Hex ids must not turn into phone-number links on iOS.
  formatDetection: { telephone: false, email: false, address: false },
  referrer: 'same-origin',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  viewportFit: 'cover',
  colorScheme: 'light dark',
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: '#ffffff' },
    { media: '(prefers-color-scheme: dark)', color: '#0d1117' },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Reading the session makes every page render per request, which the nonce-based CSP
  // (proxy.ts) needs anyway.
  const user = await currentUser();
  return (
    <html lang="en">
      <body className="min-h-dvh antialiased">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-lg focus:bg-raised focus:p-3"
        >
          Skip to content
        </a>
        <Header user={user} />
        <main id="main" className="mx-auto max-w-3xl px-4 pt-4 pb-16">
          {children}
        </main>
        <ServiceWorker />
      </body>
    </html>
  );
}
