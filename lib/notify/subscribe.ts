import { CountersignError } from '../errors';
import type { Config } from '../config/config';

export interface SubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

const MAX_ENDPOINT = 1024;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * A subscription as the browser gives it (PushSubscription.toJSON()), checked before it is kept:
 * the server will POST to the endpoint, so it must be an https: URL of a push service — plain
 * http: only to the loopback and only while the app itself runs on http://localhost (development
 * and tests, where the push service is local). The keys must be a P-256 point and a 16-byte secret,
 * or encryption would fail on every send.
 */
export function checkSubscription(config: Pick<Config, 'publicUrl'>, s: SubscriptionInput): SubscriptionInput {
  let url: URL;
  try {
    url = new URL(s.endpoint);
  } catch {
    throw new CountersignError('bad-input', 'the subscription endpoint is not a URL');
  }
  if (s.endpoint.length > MAX_ENDPOINT) throw new CountersignError('bad-input', `the subscription endpoint is longer than ${MAX_ENDPOINT} characters`);
  const devLocal = new URL(config.publicUrl).protocol === 'http:' && isLoopback(new URL(config.publicUrl).hostname);
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && devLocal && isLoopback(url.hostname));
  if (!ok || url.username || url.password) {
    throw new CountersignError('bad-input', 'the subscription endpoint must be an https: URL of a push service');
  }
  const p256dh = decode(s.keys.p256dh, 'keys.p256dh');
  if (p256dh.length !== 65 || p256dh[0] !== 0x04) throw new CountersignError('bad-input', 'keys.p256dh must be an uncompressed P-256 public key (65 bytes, base64url)');
  const auth = decode(s.keys.auth, 'keys.auth');
  if (auth.length !== 16) throw new CountersignError('bad-input', 'keys.auth must be a 16-byte secret (base64url)');
  return { endpoint: s.endpoint, keys: { p256dh: s.keys.p256dh, auth: s.keys.auth } };
}

function decode(v: string, what: string): Buffer {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(v)) throw new CountersignError('bad-input', `${what} is not base64url`);
  return Buffer.from(v, 'base64url');
}
