/**
 * The soft authenticator must produce what a browser produces: @simplewebauthn/server (the
 * app's WebAuthn library) accepts its registrations and assertions, and clientDataJSON has
 * Chromium's exact layout.
 */
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derToRS } from '../../lib/ssh/ecdsa-der';
import { signedDataBlob } from '../../lib/sshsig/signed-data';
import { sshKeyFromCose } from '../../lib/webauthn/cose-key';
import {
  buildClientDataJSON,
  createPasskey,
  getAssertion,
  toAuthenticationResponseJSON,
  toRegistrationResponseJSON,
} from '../support/soft-authenticator';

const RP = 'sign.example.org';
const ORIGIN = 'https://sign.example.org';
const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

describe('soft authenticator', () => {
  it('writes clientDataJSON exactly as Chromium does', () => {
    const challenge = Uint8Array.of(0xfb, 0xff, 0x01);
    expect(buildClientDataJSON({ challenge, origin: ORIGIN })).toBe(
      '{"type":"webauthn.get","challenge":"-_8B","origin":"https://sign.example.org","crossOrigin":false}',
    );
    expect(buildClientDataJSON({ challenge: Uint8Array.of(1), origin: ORIGIN, challengeEncoding: 'base64url-padded' })).toContain('"challenge":"AQ=="');
    expect(buildClientDataJSON({ challenge, origin: ORIGIN, memberOrder: ['origin', 'type'] })).toMatch(/^\{"origin":.*"type":.*"challenge":/);
  });

  it('builds authenticatorData as SHA-256(rpId) | flags | counter | extensions', () => {
    const pk = createPasskey({ rpId: RP, counter: 7 });
    const a = getAssertion(pk, { challenge: Uint8Array.of(1), origin: ORIGIN, flags: 0x05 });
    expect(a.authenticatorData).toHaveLength(37);
    expect(Buffer.from(a.authenticatorData.subarray(0, 32))).toEqual(createHash('sha256').update(RP).digest());
    expect(a.authenticatorData[32]).toBe(0x05);
    expect(Array.from(a.authenticatorData.subarray(33, 37))).toEqual([0, 0, 0, 7]);
    expect(pk.counter).toBe(8);
  });

  it('enrols through @simplewebauthn verifyRegistrationResponse, and the COSE key maps to its SSH key', async () => {
    const pk = createPasskey({ rpId: RP });
    const challenge = 'registration-challenge-123';
    const v = await verifyRegistrationResponse({
      response: toRegistrationResponseJSON(pk, { challenge, origin: ORIGIN }),
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP,
    });
    expect(v.verified).toBe(true);
    const cred = v.registrationInfo!.credential;
    expect(cred.id).toBe(b64url(pk.credentialId));
    expect(sshKeyFromCose(cred.publicKey, RP).blob).toEqual(pk.sshKey.blob);
  });

  it('signs assertions @simplewebauthn verifyAuthenticationResponse accepts, with the SSHSIG blob as challenge', async () => {
    const pk = createPasskey({ rpId: RP });
    const challenge = signedDataBlob('countersign-review@countersign.dev', new TextEncoder().encode('statement'));
    const a = getAssertion(pk, { challenge, origin: ORIGIN });
    const v = await verifyAuthenticationResponse({
      response: toAuthenticationResponseJSON(a),
      expectedChallenge: b64url(challenge),
      expectedOrigin: ORIGIN,
      expectedRPID: RP,
      credential: { id: b64url(pk.credentialId), publicKey: new Uint8Array(pk.cosePublicKey), counter: 0 },
      requireUserVerification: true,
    });
    expect(v.verified).toBe(true);
    expect(v.authenticationInfo.userVerified).toBe(true);
  });

  it('its negative knobs are really negative for @simplewebauthn too (wrong RP ID, tampered signature)', async () => {
    const pk = createPasskey({ rpId: RP });
    const challenge = Uint8Array.of(1, 2, 3);
    const verify = (a: ReturnType<typeof getAssertion>) =>
      verifyAuthenticationResponse({
        response: toAuthenticationResponseJSON(a),
        expectedChallenge: b64url(challenge),
        expectedOrigin: ORIGIN,
        expectedRPID: RP,
        credential: { id: b64url(pk.credentialId), publicKey: new Uint8Array(pk.cosePublicKey), counter: 0 },
      });
    await expect(verify(getAssertion(pk, { challenge, origin: ORIGIN, rpId: 'evil.example' }))).rejects.toThrow(/RP ID/i);
    const a = getAssertion(pk, { challenge, origin: ORIGIN });
    const bad = { ...a, clientDataJSON: new TextEncoder().encode(new TextDecoder().decode(a.clientDataJSON).replace('false', 'true')) };
    expect((await verify(bad)).verified).toBe(false);
  });

  it('can be asked for r/s shapes (for mpint edge cases)', () => {
    const pk = createPasskey({ rpId: RP });
    const a = getAssertion(pk, { challenge: Uint8Array.of(1), origin: ORIGIN, want: ({ r }) => r.length < 32 });
    expect(derToRS(a.signature).r.length).toBeLessThan(32);
  });
});
