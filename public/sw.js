/*
 * Countersign service worker: lets the app open offline, and shows push notifications.
 *
 * - Navigations: network first. When the network fails, the cached /offline shell is served
 *   at the requested address; that page reads the inbox and saved reviews from IndexedDB
 *   (lib/ui/offline-cache.ts) and shows them with an "offline — showing saved copy" banner.
 *   Signed-in pages themselves are never cached here: they hold one user's data and go stale.
 * - /_next/static/*: cache first (file names carry a content hash, so they never change).
 * - Icons and the manifest: stale while revalidate.
 * - Everything else, /api/* and every non-GET request (mutations, approvals) goes straight to
 *   the network: approving needs a fresh challenge from the server and is never queued.
 */
const VERSION = 'v1';
const SHELL_CACHE = `countersign-shell-${VERSION}`;
const STATIC_CACHE = `countersign-static-${VERSION}`;
const ASSET_CACHE = `countersign-assets-${VERSION}`;
const KEEP = [SHELL_CACHE, STATIC_CACHE, ASSET_CACHE];
const OFFLINE_URL = '/offline';
const ASSETS = ['/manifest.webmanifest', '/icons/icon-192.png', '/icons/icon-512.png', '/icons/icon-32.png'];
const SHELL_REFRESH_MS = 10 * 60 * 1000;
let lastShellRefresh = 0;

/** Fetches the offline page and the scripts and styles it names, and caches them together. */
async function refreshShell() {
  lastShellRefresh = Date.now();
  // Without cookies: the shell is the same for everyone and holds no one's data.
  const res = await fetch(OFFLINE_URL, { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) return;
  const html = await res.clone().text();
  const urls = new Set();
  for (const m of html.matchAll(/(?:src|href)="(\/_next\/static\/[^"]+)"/g)) urls.add(m[1].replace(/&amp;/g, '&'));
  const stat = await caches.open(STATIC_CACHE);
  await Promise.all(
    [...urls].map(async (u) => {
      if (await stat.match(u)) return;
      const r = await fetch(u);
      if (r.ok) await stat.put(u, r);
    }),
  );
  const shell = await caches.open(SHELL_CACHE);
  await shell.put(OFFLINE_URL, res);
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const assets = await caches.open(ASSET_CACHE);
      await assets.addAll(ASSETS).catch(() => undefined);
      await refreshShell().catch(() => undefined);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('countersign-') && !KEEP.includes(name)) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

async function navigate(event) {
  try {
    const res = await fetch(event.request);
    if (Date.now() - lastShellRefresh > SHELL_REFRESH_MS) event.waitUntil(refreshShell().catch(() => undefined));
    return res;
  } catch (err) {
    const shell = await caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE });
    if (shell) return shell;
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(STATIC_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const res = await fetch(request);
  if (res.ok) await cache.put(request, res.clone());
  return res;
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(ASSET_CACHE);
  const hit = await cache.match(event.request);
  const update = fetch(event.request).then(async (res) => {
    if (res.ok) await cache.put(event.request, res.clone());
    return res;
  });
  if (hit) {
    event.waitUntil(update.catch(() => undefined));
    return hit;
  }
  return update;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(navigate(event));
  } else if (url.pathname.startsWith('/_next/static/')) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname.startsWith('/icons/') || url.pathname === '/manifest.webmanifest') {
    event.respondWith(staleWhileRevalidate(event));
  }
});

// ---------------------------------------------------------------- notifications (lib/notify)

/**
 * A push message as the server sends it (lib/notify/payload.ts): `{v: 1, kind, title, body, url,
 * tag}`, or Apple's declarative form `{web_push: 8030, notification: {title, body, navigate, tag}}`.
 * Only a path on this origin is ever opened, whatever the message says.
 */
function readPush(data) {
  let m = {};
  try {
    m = data ? data.json() : {};
  } catch {
    m = {};
  }
  const n = m && m.web_push === 8030 && m.notification ? m.notification : m;
  let url = '/';
  try {
    const u = new URL(n.url || n.navigate || '/', self.location.origin);
    if (u.origin === self.location.origin) url = u.pathname + u.search + u.hash;
  } catch {
    /* keep / */
  }
  return {
    title: typeof n.title === 'string' && n.title ? n.title : 'Countersign',
    body: typeof n.body === 'string' ? n.body : '',
    tag: typeof n.tag === 'string' ? n.tag : undefined,
    kind: typeof m.kind === 'string' ? m.kind : 'notice',
    url,
  };
}

self.addEventListener('push', (event) => {
  const m = readPush(event.data);
  event.waitUntil(
    self.registration.showNotification(m.title, {
      body: m.body,
      tag: m.tag,
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-32.png',
      // An alarm about your own key stays until it is seen.
      requireInteraction: m.kind === 'signature-alarm',
      data: { url: m.url, kind: m.kind },
    }),
  );
});

/** A tap opens the review: in a window of the app already open (focused), else a new one. */
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || '/';
  const target = new URL(path, self.location.origin).toString();
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const same = windows.find((c) => c.url === target) || windows.find((c) => new URL(c.url).origin === self.location.origin);
      if (same) {
        try {
          await same.focus();
        } catch {
          /* focusing needs the tap's user activation; navigating below does not */
        }
        if (same.url === target) return;
        try {
          await same.navigate(target); // only a window this worker controls can be navigated
          return;
        } catch {
          /* not ours to navigate: open the review beside it */
        }
      }
      await self.clients.openWindow(target);
    })(),
  );
});
