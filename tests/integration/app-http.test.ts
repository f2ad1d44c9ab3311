/**
 * The HTTP API through the real route handlers (app/api/**), called in-process with Web Requests,
 * on the process-wide app that getApp() opens from the environment — as under `next start`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getApp } from '../../lib/server/app';
import { createPasskey, getAssertion, toAuthenticationResponseJSON, toRegistrationResponseJSON } from '../support/soft-authenticator';
import * as registerOptions from '../../app/api/auth/register/options/route';
import * as registerVerify from '../../app/api/auth/register/verify/route';
import * as loginOptions from '../../app/api/auth/login/options/route';
import * as loginVerify from '../../app/api/auth/login/verify/route';
import * as logout from '../../app/api/auth/logout/route';
import * as me from '../../app/api/me/route';
import * as devices from '../../app/api/devices/[id]/route';
import * as invites from '../../app/api/invites/route';
import * as tokens from '../../app/api/tokens/route';
import * as inbox from '../../app/api/inbox/route';
import * as requests from '../../app/api/requests/route';
import * as review from '../../app/api/repos/[repo]/commits/[commit]/route';
import * as approveOptions from '../../app/api/repos/[repo]/commits/[commit]/approve/options/route';
import * as approveVerify from '../../app/api/repos/[repo]/commits/[commit]/approve/verify/route';
import * as signatures from '../../app/api/repos/[repo]/commits/[commit]/signatures/route';
import * as signers from '../../app/api/signers/route';
import * as signersOne from '../../app/api/signers/[email]/route';
import * as repos from '../../app/api/repos/route';
import { call, cookieFrom, enrollViaHttp, ORIGIN, startHttpServer, type HttpServer } from './http-client';

let server: HttpServer;
let firstInviteUrl: string;
let commits: string[];

beforeAll(async () => {
  server = await startHttpServer();
  ({ firstInviteUrl, commits } = server);
});
afterAll(async () => {
  await server.close();
});

describe('first start', () => {
  it('prints a one-time invite URL for the first admin', () => {
    expect(firstInviteUrl).toMatch(/^http:\/\/localhost:3000\/invite\//);
  });
});

describe('the phone flow over HTTP', () => {
  let admin: Awaited<ReturnType<typeof enrollViaHttp>>;

  it('enrolls the admin from the printed invite and sets an HttpOnly SameSite session cookie', async () => {
    const inviteToken = firstInviteUrl.split('/').pop()!;
    const opts = await call(registerOptions.POST, { body: { inviteToken } });
    const passkey = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(opts.body.user.id, 'base64url')) });
    const verified = await call(registerVerify.POST, {
      body: { inviteToken, response: toRegistrationResponseJSON(passkey, { challenge: opts.body.challenge, origin: ORIGIN }) },
    });
    expect(verified.status).toBe(200);
    expect(verified.body.user).toMatchObject({ email: 'root@example.org', isAdmin: true });
    expect(verified.body.device.allowedSignersLine).toMatch(/^root@example\.org namespaces="countersign-review@countersign\.dev" sk-ecdsa/);
    expect(verified.headers.get('set-cookie')).toMatch(/^cs_session=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    admin = { cookie: cookieFrom(verified.headers), passkey, user: verified.body.user, device: verified.body.device };
    const meRes = await call(me.GET, { cookie: admin.cookie });
    expect(meRes.body.user.email).toBe('root@example.org');
    expect(meRes.body.devices).toHaveLength(1);
  });

  it('signs in with a passkey (discoverable) and out again', async () => {
    const opts = await call(loginOptions.POST, { body: {} });
    expect(opts.body.allowCredentials ?? []).toEqual([]);
    expect(opts.body.userVerification).toBe('required');
    const a = getAssertion(admin.passkey, { challenge: new Uint8Array(Buffer.from(opts.body.challenge, 'base64url')), origin: ORIGIN });
    const res = await call(loginVerify.POST, { body: { response: toAuthenticationResponseJSON(a) } });
    expect(res.status).toBe(200);
    const cookie = cookieFrom(res.headers);
    expect((await call(me.GET, { cookie })).status).toBe(200);
    const out = await call(logout.POST, { body: {}, cookie });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^cs_session=; .*Max-Age=0/);
    expect((await call(me.GET, { cookie })).status).toBe(401);
  });

  it('an admin invites, the invitee enrolls, approves, and bots read the result', async () => {
    const inv = await call(invites.POST, { body: { email: 'rev@example.org' }, cookie: admin.cookie });
    expect(inv.status).toBe(200);
    const rev = await enrollViaHttp(inv.body.url);
    const commit = commits[4];
    const base = { repo: 'demo', commit };

    const page = await call(review.GET, { params: base, cookie: rev.cookie });
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ repo: 'demo', commit, viewerHasSigned: false, viewerKeyTrusted: false });

    const opts = await call(approveOptions.POST, { params: base, cookie: rev.cookie, body: { verdict: 'approve' } });
    expect(opts.status).toBe(200);
    expect(opts.body.statement).toContain(`commit: ${commit}`);
    expect(opts.body.options.allowCredentials.map((c: any) => c.id)).toEqual([rev.device.id]);
    const a = getAssertion(rev.passkey, { challenge: new Uint8Array(Buffer.from(opts.body.options.challenge, 'base64url')), origin: ORIGIN });
    const done = await call(approveVerify.POST, {
      params: base,
      cookie: rev.cookie,
      body: { approvalId: opts.body.approvalId, response: toAuthenticationResponseJSON(a) },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'published', counted: false, fingerprint: rev.device.fingerprint });

    const bot = await call(signatures.GET, { params: base });
    expect(bot.status).toBe(200);
    expect(bot.body).toMatchObject({ repo: 'demo', commit, policy: { threshold: 2, count: 0, met: false } });
    // A good signature whose key the repository does not trust yet: said so, not called a failure.
    expect(bot.body.signatures).toEqual([
      expect.objectContaining({ signer: 'rev@example.org', verdict: 'approve', ok: false, counted: false, status: 'valid-untrusted', line: done.body.line }),
    ]);
    expect(bot.body.signatures[0].reason).toMatch(/rev@example\.org/);

    const all = await call(signers.GET, { cookie: rev.cookie });
    expect(all.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(all.body).toContain(rev.device.allowedSignersLine);
    expect(all.body).toContain(admin.device.allowedSignersLine);
    const one = await call(signersOne.GET, { params: { email: 'rev@example.org' } });
    expect(one.body).toContain(rev.device.allowedSignersLine);
    // Everyone's keys with device names are for signed-in users; one user's keys are public
    // like a forge's /<user>.keys, without the device names.
    expect(all.body).toContain(`${rev.device.allowedSignersLine} Phone`);
    expect(one.body).not.toContain('Phone');
    expect(await call(signers.GET)).toMatchObject({ status: 401, body: { error: 'sign in first' } });
    expect(one.body).not.toContain('root@example.org');
    expect((await call(signersOne.GET, { params: { email: 'nobody@example.org' } })).status).toBe(404);
  });

  it('devices can be renamed and revoked over the API', async () => {
    const inv = await call(invites.POST, { body: { email: 'dev@example.org' }, cookie: admin.cookie });
    const dev = await enrollViaHttp(inv.body.url);
    const renamed = await call(devices.PATCH, { method: 'PATCH', params: { id: dev.device.id }, cookie: dev.cookie, body: { name: 'Old phone' } });
    expect(renamed.body.name).toBe('Old phone');
    const notMine = await call(devices.DELETE, { method: 'DELETE', params: { id: dev.device.id }, cookie: admin.cookie });
    expect(notMine.status).toBe(404);
    const revoked = await call(devices.DELETE, { method: 'DELETE', params: { id: dev.device.id }, cookie: dev.cookie });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await call(signers.GET, { cookie: admin.cookie })).body).not.toContain('dev@example.org');
    // The session that device opened ended with it.
    expect((await call(me.GET, { cookie: dev.cookie })).status).toBe(401);
  });

  it('bots request reviews with a token; the inbox shows them', async () => {
    const tok = await call(tokens.POST, { body: { name: 'CI' }, cookie: admin.cookie });
    expect(tok.status).toBe(200);
    const r = await call(requests.POST, { origin: null, headers: { authorization: `Bearer ${tok.body.token}` }, body: { repo: 'demo', commit: commits[3] } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ repo: 'demo', commit: commits[3] });
    const box = await call(inbox.GET, { cookie: admin.cookie });
    expect(box.body[0]).toMatchObject({ commit: commits[3], requestedBy: 'bot:CI', threshold: 2 });
    const bad = await call(requests.POST, { origin: null, headers: { authorization: `Bearer ${tok.body.token}x` }, body: { repo: 'demo', commit: commits[3] } });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toMatch(/token/);
  });

  describe('bad requests get a 4xx with {error} and change nothing', () => {
    it('state-changing requests without our Origin', async () => {
      const none = await call(invites.POST, { body: { email: 'x@example.org' }, cookie: admin.cookie, origin: null });
      expect(none).toMatchObject({ status: 403, body: { error: expect.stringMatching(/Origin/) } });
      const evil = await call(invites.POST, { body: { email: 'x@example.org' }, cookie: admin.cookie, origin: 'https://evil.example' });
      expect(evil).toMatchObject({ status: 403, body: { error: expect.stringMatching(/cross-origin/) } });
      const list = await call(invites.GET, { cookie: admin.cookie });
      expect(list.body.map((i: any) => i.email)).not.toContain('x@example.org');
    });

    it('wrong shapes, wrong types, oversize bodies', async () => {
      const shape = await call(approveOptions.POST, { params: { repo: 'demo', commit: commits[2] }, cookie: admin.cookie, body: { verdict: 'reject' } });
      expect(shape.status).toBe(400);
      expect(shape.body.error).toMatch(/^invalid request: verdict/);
      const extra = await call(invites.POST, { body: { email: 'y@example.org', role: 'god' }, cookie: admin.cookie });
      expect(extra.status).toBe(400);
      const notJson = await call(invites.POST, { rawBody: 'email=y', headers: { 'content-type': 'application/x-www-form-urlencoded' }, cookie: admin.cookie });
      expect(notJson.status).toBe(415);
      const huge = await call(loginVerify.POST, { rawBody: JSON.stringify({ response: { id: 'a'.repeat(70_000) } }), ip: '10.9.9.9' });
      expect(huge.status).toBe(413);
      const hash = await call(review.GET, { params: { repo: 'demo', commit: 'not-a-hash' } });
      expect(hash).toMatchObject({ status: 404, body: { error: expect.stringMatching(/not a full commit id/) } });
      expect(JSON.stringify(hash.body)).not.toMatch(/at .*\.ts:\d+/);
    });

    it('a request with a Bearer header is judged by the token alone: the cookie does not stand in for the skipped Origin check', async () => {
      const forged = await call(requests.POST, { origin: null, cookie: admin.cookie, headers: { authorization: 'Bearer not-a-real-token' }, body: { repo: 'demo', commit: commits[1] } });
      expect(forged).toMatchObject({ status: 401, body: { error: expect.stringMatching(/token/) } });
      const forgedUser = await call(invites.POST, { origin: null, cookie: admin.cookie, headers: { authorization: 'Bearer not-a-real-token' }, body: { email: 'b@example.org' } });
      expect(forgedUser.status).toBe(403);
      expect((await call(inbox.GET, { cookie: admin.cookie })).body.map((r: any) => r.commit)).not.toContain(commits[1]);
      expect((await call(invites.GET, { cookie: admin.cookie })).body.map((i: any) => i.email)).not.toContain('b@example.org');
    });

    it('GET /api/repos needs sign-in and never shows credentials in a remote URL', async () => {
      expect((await call(repos.GET)).status).toBe(401);
      const app = await getApp();
      app.config.repositories.push({ name: 'private', remote: 'https://ci-bot:ghp_s3cret@git.example.org/team/private.git' }, { name: 'ssh', remote: 'git@github.com:team/ssh.git' });
      try {
        const list = await call(repos.GET, { cookie: admin.cookie });
        expect(list.body).toContainEqual({ name: 'private', remote: 'https://git.example.org/team/private.git' });
        expect(list.body).toContainEqual({ name: 'ssh', remote: 'git@github.com:team/ssh.git' });
        expect(JSON.stringify(list.body)).not.toMatch(/s3cret|ci-bot/);
      } finally {
        app.config.repositories.splice(-2, 2);
      }
    });

    it('needs sign-in, or admin', async () => {
      expect((await call(me.GET)).status).toBe(401);
      expect((await call(inbox.GET)).status).toBe(401);
      const inv = await call(invites.POST, { body: { email: 'plain@example.org' }, cookie: admin.cookie });
      const plain = await enrollViaHttp(inv.body.url);
      const denied = await call(invites.POST, { body: { email: 'z@example.org' }, cookie: plain.cookie });
      expect(denied).toMatchObject({ status: 403, body: { error: 'only an admin can do that' } });
      expect((await call(tokens.POST, { body: { name: 'x' }, cookie: plain.cookie })).status).toBe(403);
    });

    it('an unknown commit or repository is a 404 with a message', async () => {
      const unknown = await call(review.GET, { params: { repo: 'demo', commit: 'c'.repeat(40) } });
      expect(unknown).toMatchObject({ status: 404, body: { error: expect.stringMatching(/not in repository "demo"/) } });
      const repo = await call(signatures.GET, { params: { repo: 'nope', commit: commits[0] } });
      expect(repo.status).toBe(404);
    });

    it('authentication endpoints are rate limited per client', async () => {
      let last = 0;
      for (let i = 0; i < 31; i++) last = (await call(loginOptions.POST, { body: {}, ip: '10.1.2.3' })).status;
      expect(last).toBe(429);
      const other = await call(loginOptions.POST, { body: {}, ip: '10.1.2.4' });
      expect(other.status).toBe(200);
    });
  });
});
