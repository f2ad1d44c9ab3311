import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiPost, errorMessageFrom } from '../../lib/ui/api';
import { keysToPrune, loadInbox, reviewKey, saveInbox } from '../../lib/ui/offline-cache';
import { safeNextPath } from '../../lib/ui/safe-next';
import { passkeyErrorMessage } from '../../lib/ui/webauthn-errors';

describe('returning after sign-in', () => {
  it('keeps same-origin paths', () => {
    expect(safeNextPath('/r/demo/abc')).toBe('/r/demo/abc');
    expect(safeNextPath('/devices?x=1')).toBe('/devices?x=1');
  });
  it('refuses anything that could leave the site', () => {
    for (const bad of ['https://evil.test/', '//evil.test', '/\\evil.test', 'javascript:alert(1)', '/a\nb', '', null, undefined]) {
      expect(safeNextPath(bad)).toBe('/');
    }
  });
});

describe('passkey error messages', () => {
  it('explains a missing ES256 algorithm and missing user verification', () => {
    expect(passkeyErrorMessage({ code: 'ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG' }, 'register')).toMatch(/ES256/);
    expect(passkeyErrorMessage({ code: 'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT' }, 'register')).toMatch(/verify you/);
  });
  it('treats a cancelled prompt as cancelled, worded for the ceremony', () => {
    expect(passkeyErrorMessage({ name: 'NotAllowedError', message: 'x' }, 'register')).toMatch(/No passkey was created/);
    expect(passkeyErrorMessage({ name: 'NotAllowedError' }, 'authenticate')).toMatch(/No passkey was used/);
    expect(passkeyErrorMessage({ code: 'ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY', name: 'Error', cause: { name: 'NotAllowedError' } }, 'register')).toMatch(/cancelled/);
  });
  it('names missing user verification as a cause of NotAllowedError, which browsers also use for it', () => {
    expect(passkeyErrorMessage({ name: 'NotAllowedError' }, 'register')).toMatch(/could not verify you .*which Countersign requires/);
    expect(passkeyErrorMessage({ name: 'NotAllowedError' }, 'authenticate')).toMatch(/could not verify you .*which Countersign requires.*no passkey/);
  });
  it('passes other messages through and never returns an empty string', () => {
    expect(passkeyErrorMessage(new Error('invite expired'), 'register')).toBe('invite expired');
    expect(passkeyErrorMessage(undefined, 'register')).toMatch(/Try again/);
  });
});

describe('API client', () => {
  afterEach(() => vi.unstubAllGlobals());

  it("prefers the server's {error} message and has sensible defaults", () => {
    expect(errorMessageFrom(410, { error: 'This invite has expired.' })).toBe('This invite has expired.');
    expect(errorMessageFrom(401, null)).toMatch(/signed out/);
    expect(errorMessageFrom(503, 'x')).toMatch(/server/);
  });

  it('posts JSON and raises ApiError with the status and message on failure', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ error: 'Invite already used.' }), { status: 410 });
    });
    const err = (await apiPost('/api/auth/register/options', { inviteToken: 't' }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(410);
    expect(err.message).toBe('Invite already used.');
    expect(calls[0].init.method).toBe('POST');
    expect(calls[0].init.body).toBe('{"inviteToken":"t"}');
    expect((calls[0].init.headers as Record<string, string>)['content-type']).toBe('application/json');
  });

  it('returns parsed JSON on success and undefined on 204', async () => {
    vi.stubGlobal('fetch', async () => new Response('{"ok":1}', { status: 200 }));
    expect(await apiPost('/x')).toEqual({ ok: 1 });
    vi.stubGlobal('fetch', async () => new Response(null, { status: 204 }));
    expect(await apiPost('/x')).toBeUndefined();
  });

  it('reports a network failure as status 0 with a connection message', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const err = (await apiPost('/x').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/No connection/);
  });
});

describe('offline cache', () => {
  it('keys reviews by repository and commit without ambiguity', () => {
    expect(reviewKey('a/b', 'c')).not.toBe(reviewKey('a', 'b/c'));
  });

  it('prunes the least recently saved reviews beyond the limit', () => {
    const entries = [
      { key: 'old', savedAt: '2025-01-01T00:00:00.000Z' },
      { key: 'new', savedAt: '2025-03-01T00:00:00.000Z' },
      { key: 'mid', savedAt: '2025-02-01T00:00:00.000Z' },
    ];
    expect(keysToPrune(entries, 2)).toEqual(['old']);
    expect(keysToPrune(entries, 3)).toEqual([]);
    expect(keysToPrune(entries, 0).sort()).toEqual(['mid', 'new', 'old']);
  });

  it('fails soft where IndexedDB does not exist (server, old browsers)', async () => {
    expect(typeof indexedDB).toBe('undefined');
    await expect(saveInbox('ann', [])).resolves.toBeUndefined();
    await expect(loadInbox()).resolves.toBeNull();
  });
});
