/**
 * A local Web Push service for tests: an HTTP server that accepts pushes the way a real push
 * service does and checks them as a browser's push service and the browser would — the VAPID
 * JWT (ES256 under the `k` key, aud = the endpoint's origin, exp within 24 h, sub) and the
 * aes128gcm body, decrypted with the subscription's own private key and auth secret (http_ece,
 * as web-push's own tests do). Tests choose each answer (201, 410, 503 with Retry-After…).
 */
import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';

// http_ece ships no types: it is web-push's own encryption library (a dependency of web-push).
const ece: { decrypt(body: Buffer, params: Record<string, unknown>): Buffer } = createRequire(import.meta.url)('http_ece');

export interface BrowserSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** The browser's side: never sent to the server. */
  privateKey: ECDH;
  authSecret: Buffer;
}

export interface ReceivedPush {
  path: string;
  at: number;
  headers: IncomingMessage['headers'];
  /** The decrypted payload, parsed as JSON. */
  payload: any;
  vapid: { publicKey: string; claims: { aud: string; exp: number; sub: string } };
  /** What the service answered. */
  status: number;
}

export interface PushService {
  origin: string;
  /** A new subscription at this service (what pushManager.subscribe() would return). */
  subscription(name?: string): BrowserSubscription;
  received: ReceivedPush[];
  /** Pushes that failed the checks (bad JWT, undecryptable body): must stay empty. */
  problems: string[];
  /** Answer for the next pushes to a subscription name: status and headers, used once each, then 201. */
  answer(name: string, ...answers: { status: number; headers?: Record<string, string> }[]): void;
  waitFor(predicate: (r: ReceivedPush[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function b64url(b: Buffer): string {
  return b.toString('base64url');
}

/** Checks `vapid t=<jwt>, k=<key>` as a push service does (RFC 8292). */
function checkVapid(header: string | undefined, endpointOrigin: string): ReceivedPush['vapid'] {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (!m) throw new Error(`no vapid Authorization header: ${header}`);
  const [, jwt, k] = m;
  const [h, p, s] = jwt.split('.');
  const head = JSON.parse(Buffer.from(h, 'base64url').toString());
  if (head.alg !== 'ES256' || head.typ !== 'JWT') throw new Error(`JWT header ${JSON.stringify(head)}`);
  const point = Buffer.from(k, 'base64url');
  if (point.length !== 65 || point[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) }, format: 'jwk' });
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('the VAPID JWT signature does not verify under k');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  if (claims.aud !== endpointOrigin) throw new Error(`aud ${claims.aud}, expected ${endpointOrigin}`);
  const now = Math.floor(Date.now() / 1000);
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw new Error(`exp ${claims.exp} not within 24 h of ${now}`);
  if (!/^(mailto:|https:)/.test(claims.sub)) throw new Error(`sub ${claims.sub}`);
  return { publicKey: k, claims };
}

export async function startPushService(): Promise<PushService> {
  const subs = new Map<string, BrowserSubscription>();
  const answers = new Map<string, { status: number; headers?: Record<string, string> }[]>();
  const received: ReceivedPush[] = [];
  const problems: string[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const name = path.replace(/^\/push\//, '');
      const sub = subs.get(name);
      const next = answers.get(name)?.shift() ?? { status: 201 };
      try {
        if (req.method !== 'POST' || !sub) throw new Error(`unexpected ${req.method} ${path}`);
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${req.headers['content-encoding']}`);
        if (!req.headers.ttl) throw new Error('no TTL header');
        const vapid = checkVapid(req.headers.authorization, origin);
        const plain = ece.decrypt(Buffer.concat(chunks), { version: 'aes128gcm', privateKey: sub.privateKey, authSecret: b64url(sub.authSecret) });
        received.push({ path, at: Date.now(), headers: req.headers, payload: JSON.parse(plain.toString('utf8')), vapid, status: next.status });
      } catch (e) {
        problems.push((e as Error).message);
        res.writeHead(400).end();
        return;
      }
      res.writeHead(next.status, next.headers ?? {}).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  origin = `http://127.0.0.1:${addr.port}`;
  let counter = 0;
  return {
    origin,
    received,
    problems,
    subscription(name = `s${++counter}`) {
      const privateKey = createECDH('prime256v1');
      privateKey.generateKeys();
      const authSecret = randomBytes(16);
      const s: BrowserSubscription = {
        endpoint: `${origin}/push/${name}`,
        keys: { p256dh: b64url(privateKey.getPublicKey()), auth: b64url(authSecret) },
        privateKey,
        authSecret,
      };
      subs.set(name, s);
      return s;
    },
    answer(name, ...a) {
      answers.set(name, [...(answers.get(name) ?? []), ...a]);
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > until) throw new Error(`push service: timed out; received ${JSON.stringify(received.map((r) => [r.path, r.payload?.kind]))}, problems ${JSON.stringify(problems)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close() {
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** What a subscribe route takes: PushSubscription.toJSON(). */
export function subscriptionJson(s: BrowserSubscription) {
  return { endpoint: s.endpoint, expirationTime: null, keys: s.keys };
}
