/**
 * Web Push from the server, against a local push service that checks every push as a real one
 * and the browser would (VAPID JWT, aes128gcm decrypted with the subscription's own keys):
 * subscribing through the API, review requests reaching reviewers, the requester told when the
 * commit meets its policy, 410 removing a subscription, 5xx and 429 retried (Retry-After
 * honoured), and subscriptions ending with the session or device that made them.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pushKey from '../../app/api/push/key/route';
import * as pushSubscription from '../../app/api/push/subscription/route';
import * as pushDevice from '../../app/api/push/devices/[id]/route';
import * as requests from '../../app/api/requests/route';
import * as logout from '../../app/api/auth/logout/route';
import * as devices from '../../app/api/devices/[id]/route';
import * as approveOptions from '../../app/api/repos/[repo]/commits/[commit]/approve/options/route';
import * as approveVerify from '../../app/api/repos/[repo]/commits/[commit]/approve/verify/route';
import * as invites from '../../app/api/invites/route';
import { loadConfig } from '../../lib/config/config';
import { notifierOf } from '../../lib/notify';
import { ensureVapidKeys } from '../../lib/notify/vapid';
import { encodePayload } from '../../lib/notify/payload';
import { getAssertion, toAuthenticationResponseJSON } from '../support/soft-authenticator';
import { gitIn } from './app-harness';
import { call, enrollViaHttp, ORIGIN, startHttpServer, type HttpServer, type HttpUser } from './http-client';
import { startPushService, subscriptionJson, type PushService } from './notify-push-service';

let server: HttpServer;
let push: PushService;
let ann: HttpUser; // asks for reviews
let bob: HttpUser; // reviews
let head: string; // the demo's open change, branch farewell

const notifier = () => notifierOf(server.app)!;
const subscriptionCount = async (userId: string) =>
  Number((await server.app.db.query<{ n: unknown }>('select count(*) as n from push_subscriptions where user_id = $1', [userId]))[0].n);

async function invite(admin: HttpUser, email: string): Promise<HttpUser> {
  const r = await call(invites.POST, { cookie: admin.cookie, body: { email } });
  expect(r.status).toBe(200);
  return enrollViaHttp(r.body.url);
}

/** A maintainer trusts these allowed_signers lines on the remote's main. */
async function trust(lines: string[]): Promise<void> {
  const work = await mkdtemp(path.join(server.root, 'trust-'));
  await gitIn(server.root, 'clone', '--quiet', server.remote, work);
  const file = path.join(work, '.countersign', 'allowed_signers');
  await writeFile(file, (await readFile(file, 'utf8')) + lines.join('\n') + '\n');
  await gitIn(work, 'commit', '--quiet', '-am', 'Trust reviewers');
  await gitIn(work, 'push', '--quiet', 'origin', 'main');
  await rm(work, { recursive: true, force: true });
  await server.app.repo('demo').refresh({ maxAgeMs: 0 });
}

async function approveOverHttp(u: HttpUser, commit: string, base?: string) {
  const params = { repo: 'demo', commit };
  const opts = await call(approveOptions.POST, { params, cookie: u.cookie, body: { verdict: 'approve', ...(base ? { base } : {}) } });
  expect(opts.status).toBe(200);
  const a = getAssertion(u.passkey, { challenge: new Uint8Array(Buffer.from(opts.body.options.challenge, 'base64url')), origin: ORIGIN });
  const done = await call(approveVerify.POST, { params, cookie: u.cookie, body: { approvalId: opts.body.approvalId, ...(base ? { base } : {}), response: toAuthenticationResponseJSON(a) } });
  expect(done, JSON.stringify(done.body)).toMatchObject({ status: 200 });
  return done.body;
}

beforeAll(async () => {
  server = await startHttpServer();
  push = await startPushService();
  ann = await enrollViaHttp(server.firstInviteUrl); // root@example.org, the admin
  bob = await invite(ann, 'bob@example.org');
  await trust([ann.device.allowedSignersLine, bob.device.allowedSignersLine]);
  head = (await gitIn(server.remote, 'rev-parse', 'farewell')).trim();
  notifier().sender.retryBaseMs = 50;
});
afterAll(async () => {
  await server?.close();
  await push?.close();
});

describe('the VAPID key', () => {
  it('is made on first start, kept in the store, and served to browsers', async () => {
    const r = await call(pushKey.GET);
    expect(r.status).toBe(200);
    expect(Buffer.from(r.body.publicKey, 'base64url')).toHaveLength(65);
    // Every instance on one database gets the same pair: insert-if-absent, whoever comes first.
    const again = await Promise.all([ensureVapidKeys(server.app.db), ensureVapidKeys(server.app.db)]);
    expect(again.map((k) => k.publicKey)).toEqual([r.body.publicKey, r.body.publicKey]);
  });
});

describe('the VAPID subject (COUNTERSIGN_VAPID_SUBJECT)', () => {
  const load = (env: Record<string, string>) => loadConfig({ env: { COUNTERSIGN_DATA_DIR: '/tmp/cs-vapid-config', ...env }, cwd: '/tmp' });
  it('is what the server signs with, and must be a mailto: or https: URL', () => {
    expect(load({ COUNTERSIGN_VAPID_SUBJECT: 'mailto:ops@example.org' }).vapidSubject).toBe('mailto:ops@example.org');
    expect(load({ COUNTERSIGN_VAPID_SUBJECT: 'https://sign.example.org/contact' }).vapidSubject).toBe('https://sign.example.org/contact');
    for (const bad of ['ops@example.org', 'http://sign.example.org', 'mailto:nobody']) {
      expect(() => load({ COUNTERSIGN_VAPID_SUBJECT: bad })).toThrow(/vapidSubject .* must be a mailto: or https: URL/);
    }
  });
  it('defaults to the public https URL, else the admin address', () => {
    expect(load({ COUNTERSIGN_ADMIN_EMAIL: 'ops@example.org' }).vapidSubject).toBe('mailto:ops@example.org');
    expect(load({ COUNTERSIGN_RP_ID: 'sign.example.org', COUNTERSIGN_ORIGINS: 'https://sign.example.org' }).vapidSubject).toBe('https://sign.example.org');
  });
});

describe('subscribing', () => {
  it('needs a session, and refuses endpoints and keys that could not work', async () => {
    const s = push.subscription('refused');
    expect((await call(pushSubscription.POST, { body: subscriptionJson(s) })).status).toBe(401);
    const bad = [
      { ...subscriptionJson(s), endpoint: 'http://push.example.com/x' }, // plain http off the loopback
      { ...subscriptionJson(s), endpoint: 'file:///etc/passwd' },
      { ...subscriptionJson(s), keys: { ...s.keys, p256dh: Buffer.alloc(65, 1).toString('base64url') } },
      { ...subscriptionJson(s), keys: { ...s.keys, auth: 'c2hvcnQ' } },
    ];
    for (const body of bad) {
      const r = await call(pushSubscription.POST, { cookie: bob.cookie, body });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(/endpoint|p256dh|auth/);
    }
    expect(await subscriptionCount(bob.user.id)).toBe(0);
  });

  it('at most 20 browsers per user: every notification fans out to all of them', async () => {
    const many = Array.from({ length: 21 }, (_, i) => push.subscription(`many-${i}`));
    for (const s of many.slice(0, 20)) expect((await call(pushSubscription.POST, { cookie: ann.cookie, body: subscriptionJson(s) })).status).toBe(200);
    const refused = await call(pushSubscription.POST, { cookie: ann.cookie, body: subscriptionJson(many[20]) });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/20 browsers/);
    for (const s of many.slice(0, 20)) await call(pushSubscription.DELETE, { cookie: ann.cookie, body: { endpoint: s.endpoint } });
    expect(await subscriptionCount(ann.user.id)).toBe(0);
  });
});

describe('a review request', () => {
  it('reaches each reviewer the repository trusts, encrypted for their browser and signed with the VAPID key', async () => {
    const bobPhone = push.subscription('bob-phone');
    const annPhone = push.subscription('ann-phone');
    expect((await call(pushSubscription.POST, { cookie: bob.cookie, body: subscriptionJson(bobPhone) })).status).toBe(200);
    expect((await call(pushSubscription.POST, { cookie: ann.cookie, body: subscriptionJson(annPhone) })).status).toBe(200);
    const started = Date.now();
    const r = await call(requests.POST, { cookie: ann.cookie, body: { repo: 'demo', commit: head, base: 'main' } });
    expect(r.status).toBe(200);
    await push.waitFor((got) => got.some((g) => g.path === '/push/bob-phone'));
    await notifier().idle();
    expect(push.problems).toEqual([]);
    const got = push.received.filter((g) => g.path === '/push/bob-phone');
    expect(got).toHaveLength(1);
    expect(got[0].payload).toEqual({
      v: 1,
      kind: 'review-request',
      title: 'Review requested: demo',
      body: `Document the farewell\nroot@example.org asks you to review 2 commits up to ${head.slice(0, 7)}`,
      url: `/r/demo/${head}?base=${r.body.base}`,
      tag: `request:demo:${head}`,
    });
    expect(got[0].vapid.publicKey).toBe((await call(pushKey.GET)).body.publicKey);
    expect(got[0].vapid.claims.sub).toBe(server.app.config.vapidSubject);
    expect(got[0].headers.urgency).toBe('high');
    // The requester is not asked to review her own request.
    expect(push.received.filter((g) => g.path === '/push/ann-phone')).toEqual([]);
    expect(got[0].at - started).toBeLessThan(10_000);
  });

  it('tells the requester when the commit meets its policy, once', async () => {
    const base = (await gitIn(server.remote, 'merge-base', 'main', head)).trim();
    await approveOverHttp(bob, head, base);
    await notifier().idle();
    expect(push.received.filter((g) => g.path === '/push/ann-phone')).toEqual([]); // 1 of 2
    await approveOverHttp(ann, head, base);
    await push.waitFor((got) => got.some((g) => g.path === '/push/ann-phone' && g.payload.kind === 'policy-met'));
    await notifier().idle();
    const met = push.received.filter((g) => g.payload.kind === 'policy-met');
    expect(met.map((g) => g.path)).toEqual(['/push/ann-phone']);
    expect(met[0].payload).toMatchObject({ title: `Approved: demo ${head.slice(0, 7)}`, url: `/r/demo/${head}?base=${base}` });
    expect(met[0].payload.body).toContain('2 of 2 approvals');
    // Nothing secret rides along: no note line, no signature.
    expect(JSON.stringify(met[0].payload)).not.toMatch(/countersign-v|SSHSIG|U1NIU0lH/);
 
    // Another line on it later (Bob also approves the last commit alone): not told again.
    await approveOverHttp(bob, head);
    await notifier().idle();
    expect(push.received.filter((g) => g.payload.kind === 'policy-met')).toHaveLength(1);
  });
});

describe('answers of the push service', () => {
  it('410 Gone removes the subscription; nothing more is sent to it', async () => {
    const s = push.subscription('gone');
    expect((await call(pushSubscription.POST, { cookie: bob.cookie, body: subscriptionJson(s) })).status).toBe(200);
    push.answer('gone', { status: 410 });
    const before = await subscriptionCount(bob.user.id);
    await call(requests.POST, { cookie: ann.cookie, body: { repo: 'demo', commit: server.commits[1] } });
    await push.waitFor((got) => got.some((g) => g.path === '/push/gone'));
    await notifier().idle();
    expect(await subscriptionCount(bob.user.id)).toBe(before - 1);
    await call(requests.POST, { cookie: ann.cookie, body: { repo: 'demo', commit: server.commits[2] } });
    await notifier().idle();
    expect(push.received.filter((g) => g.path === '/push/gone')).toHaveLength(1);
    expect(push.received.filter((g) => g.path === '/push/bob-phone' && g.payload.url === `/r/demo/${server.commits[2]}`)).toHaveLength(1);
  });

  it('5xx is retried with backoff, and 429 waits as long as Retry-After says', async () => {
    const s = push.subscription('flaky');
    expect((await call(pushSubscription.POST, { cookie: bob.cookie, body: subscriptionJson(s) })).status).toBe(200);
    push.answer('flaky', { status: 500 }, { status: 503 }, { status: 429, headers: { 'retry-after': '1' } });
    await call(requests.POST, { cookie: ann.cookie, body: { repo: 'demo', commit: server.commits[3] } });
    await push.waitFor((got) => got.filter((g) => g.path === '/push/flaky').length === 4);
    await notifier().idle();
    const tries = push.received.filter((g) => g.path === '/push/flaky');
    expect(tries.map((t) => t.status)).toEqual([500, 503, 429, 201]);
    expect(tries.every((t) => t.payload.url === `/r/demo/${server.commits[3]}`)).toBe(true);
    expect(tries[3].at - tries[2].at).toBeGreaterThanOrEqual(950); // Retry-After: 1
    expect(await subscriptionCount(bob.user.id)).toBeGreaterThan(0); // still subscribed
  });

  it('a request is answered before its notifications go out (a slow push service delays nobody)', async () => {
    const s = push.subscription('slow');
    expect((await call(pushSubscription.POST, { cookie: bob.cookie, body: subscriptionJson(s) })).status).toBe(200);
    push.answer('slow', { status: 503, headers: { 'retry-after': '2' } });
    const t0 = Date.now();
    const r = await call(requests.POST, { cookie: ann.cookie, body: { repo: 'demo', commit: server.commits[2] } });
    expect(r.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1500);
    await notifier().idle();
    expect(push.received.filter((g) => g.path === '/push/slow').map((g) => g.status)).toEqual([503, 201]);
  });
});

describe('subscriptions end with their device', () => {
  it('turning off on the page (this browser, or a whole device) stops them', async () => {
    const s = push.subscription('off');
    expect((await call(pushSubscription.POST, { cookie: bob.cookie, body: subscriptionJson(s) })).status).toBe(200);
    const n = await subscriptionCount(bob.user.id);
    expect((await call(pushSubscription.DELETE, { cookie: bob.cookie, body: { endpoint: s.endpoint } })).body).toEqual({ removed: true });
    expect(await subscriptionCount(bob.user.id)).toBe(n - 1);
    // Someone else cannot turn off Bob's device.
    expect((await call(pushDevice.DELETE, { cookie: ann.cookie, params: { id: bob.device.id } })).body).toEqual({ removed: 0 });
    expect(await subscriptionCount(bob.user.id)).toBe(n - 1);
    expect((await call(pushDevice.DELETE, { cookie: bob.cookie, params: { id: bob.device.id } })).body).toEqual({ removed: n - 1 });
    expect(await subscriptionCount(bob.user.id)).toBe(0);
  });

  it('signing out there ends the subscription', async () => {
    const s = push.subscription('signout');
    expect((await call(pushSubscription.POST, { cookie: bob.cookie, body: subscriptionJson(s) })).status).toBe(200);
    expect(await subscriptionCount(bob.user.id)).toBe(1);
    expect((await call(logout.POST, { cookie: bob.cookie, body: {} })).status).toBe(204);
    expect(await subscriptionCount(bob.user.id)).toBe(0);
  });

  it('revoking the device ends the subscriptions made on it', async () => {
    const carol = await invite(ann, 'carol@example.org');
    const s = push.subscription('carol');
    expect((await call(pushSubscription.POST, { cookie: carol.cookie, body: subscriptionJson(s) })).status).toBe(200);
    expect(await subscriptionCount(carol.user.id)).toBe(1);
    expect((await call(devices.DELETE, { cookie: carol.cookie, params: { id: carol.device.id } })).status).toBe(200);
    expect(await subscriptionCount(carol.user.id)).toBe(0);
  });
});

describe('a commit that cannot pass', () => {
  it('its requester is told why, once, when the next line arrives', async () => {
    // Lines of earlier tests are scanned first (a scan after a fetch judges the commits it finds
    // new lines on): from here on, only this test's line is new.
    await server.app.repo('demo').refresh({ maxAgeMs: 0 });
    await notifier().idle();
    // The maintainers start requiring signed commits; the change's commits are not signed.
    const work = await mkdtemp(path.join(server.root, 'policy-'));
    await gitIn(server.root, 'clone', '--quiet', server.remote, work);
    const file = path.join(work, '.countersign', 'policy.json');
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), requireSignedCommits: true }, null, 2) + '\n');
    await gitIn(work, 'commit', '--quiet', '-am', 'Require signed commits');
    await gitIn(work, 'push', '--quiet', 'origin', 'main');
    await rm(work, { recursive: true, force: true });
    await server.app.repo('demo').refresh({ maxAgeMs: 0 });
    await notifier().idle();
    expect(push.received.filter((g) => g.payload.kind === 'policy-failing')).toEqual([]);
    await approveOverHttp(ann, head); // a new line on the change's head
    await push.waitFor((got) => got.some((g) => g.payload.kind === 'policy-failing'));
    await notifier().idle();
    const failing = push.received.filter((g) => g.payload.kind === 'policy-failing');
    expect(failing.map((g) => g.path)).toEqual(['/push/ann-phone']);
    expect(failing[0].payload.title).toBe(`Cannot pass: demo ${head.slice(0, 7)}`);
    expect(failing[0].payload.body).toMatch(/requireSignedCommits/);
  });
});

describe('payload formats', () => {
  const msg = { kind: 'review-request' as const, title: 'Review requested: demo', body: 'x', url: '/r/demo/abc', tag: 't' };
  it("Apple's push service gets Declarative Web Push with an absolute navigate URL", () => {
    expect(JSON.parse(encodePayload(msg, 'https://web.push.apple.com/QGx', 'https://sign.example.org'))).toEqual({
      web_push: 8030,
      notification: { title: 'Review requested: demo', body: 'x', navigate: 'https://sign.example.org/r/demo/abc', tag: 't' },
    });
  });
  it('other push services get the compact form the service worker reads', () => {
    expect(JSON.parse(encodePayload(msg, 'https://fcm.googleapis.com/fcm/send/x', 'https://sign.example.org'))).toEqual({ v: 1, ...msg });
  });
});
