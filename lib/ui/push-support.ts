/**
 * Whether this browser can turn notifications on, and if not, what to tell the person. iOS and
 * iPadOS (16.4+) deliver Web Push only to a web app added to the Home Screen and opened from
 * there; elsewhere the Push API is either present or not.
 */
export type PushSupport = 'ready' | 'install-first' | 'unsupported';

export interface PushEnvironment {
  hasServiceWorker: boolean;
  hasPushManager: boolean;
  hasNotification: boolean;
  /** iPhone, iPad (an iPad also reports itself as a Mac with a touch screen). */
  isAppleMobile: boolean;
  /** Opened from the Home Screen (display-mode standalone, or navigator.standalone). */
  standalone: boolean;
}

export function pushSupport(env: PushEnvironment): PushSupport {
  if (env.isAppleMobile && !env.standalone) return 'install-first';
  if (!env.hasServiceWorker || !env.hasPushManager || !env.hasNotification) return 'unsupported';
  return 'ready';
}

/** Reads the environment in the browser (never during server rendering). */
export function browserPushEnvironment(): PushEnvironment {
  const nav = navigator as Navigator & { standalone?: boolean };
  const ua = nav.userAgent;
  return {
    hasServiceWorker: 'serviceWorker' in nav,
    hasPushManager: 'PushManager' in window,
    hasNotification: 'Notification' in window,
    isAppleMobile: /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && nav.maxTouchPoints > 1),
    standalone: window.matchMedia?.('(display-mode: standalone)').matches || nav.standalone === true,
  };
}
