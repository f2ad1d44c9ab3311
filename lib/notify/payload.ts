import { createHash } from 'node:crypto';

/**
 * What a notification says. Deliberately little: no signature, no line, no token — a push
 * service and anyone holding the phone's lock screen see it. Just enough to decide to tap.
 */
export interface PushMessage {
  kind: 'review-request' | 'signature-alarm' | 'policy-met' | 'policy-failing';
  title: string;
  body: string;
  /** Path in the app the tap opens (e.g. /r/demo/<commit>), never another origin. */
  url: string;
  /** Notifications about one thing replace each other (notification tag, Web Push Topic). */
  tag: string;
}

const MAX_TITLE = 120;
const MAX_BODY = 300;

function clip(s: string, n: number): string {
  const flat = s.replace(/[\u0000-\u0009\u000b-\u001f\u007f]+/g, ' ').trim(); // line breaks stay
  return flat.length <= n ? flat : flat.slice(0, n - 1) + '…';
}

/** Apple's push service (Safari, iOS Home Screen apps) takes the declarative format. */
export function isApplePushEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === 'web.push.apple.com' || host.endsWith('.push.apple.com');
  } catch {
    return false;
  }
}

/**
 * The bytes encrypted for one subscription. Apple's endpoints get Declarative Web Push
 * (`{"web_push": 8030, "notification": {title, body, navigate, tag}}`, shown by the system even
 * without our service worker; `navigate` must be absolute); everyone else gets our compact JSON,
 * which public/sw.js shows (it understands both).
 */
export function encodePayload(msg: PushMessage, endpoint: string, publicUrl: string): string {
  const title = clip(msg.title, MAX_TITLE);
  const body = clip(msg.body, MAX_BODY);
  if (isApplePushEndpoint(endpoint)) {
    return JSON.stringify({
      web_push: 8030,
      notification: { title, body, navigate: new URL(msg.url, publicUrl).toString(), tag: msg.tag },
    });
  }
  return JSON.stringify({ v: 1, kind: msg.kind, title, body, url: msg.url, tag: msg.tag });
}

/** RFC 8030 Topic: at most 32 base64url characters, so a hash of the tag. */
export function topicFor(tag: string): string {
  return createHash('sha256').update(tag).digest('base64url').slice(0, 32);
}

/** A review link of the app: the single commit, or the change against its pinned base. */
export function reviewPath(repo: string, commit: string, base: string | null): string {
  return `/r/${encodeURIComponent(repo)}/${commit}${base ? `?base=${base}` : ''}`;
}
