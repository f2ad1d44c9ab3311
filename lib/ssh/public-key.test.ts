import { afterAll, describe, expect, it } from 'vitest';
import { CountersignError } from '../errors';
import { makeKey, makeTempDir, run, SSH_KEYGEN } from '../../tests/support/ssh-keygen';
import { createPasskey } from '../../tests/support/soft-authenticator';
import {
  fingerprintSha256,
  formatPublicKey,
  parsePublicKeyBlob,
  parsePublicKeyText,
  publicKeysEqual,
  skEcdsaKey,
} from './public-key';
import { SshWriter } from './wire';

const tmp = await makeTempDir();
afterAll(() => tmp.cleanup());

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof CountersignError ? e.code : 'other';
  }
  return undefined;
}

describe('OpenSSH public keys', () => {
  it.each(['ed25519', 'ecdsa'] as const)('parses an ssh-keygen %s key and fingerprints it as ssh-keygen -l does', async (type) => {
    const k = await makeKey(tmp.dir, type);
    const key = parsePublicKeyText(k.publicKeyText);
    expect(key.type).toBe(type === 'ed25519' ? 'ssh-ed25519' : 'ecdsa-sha2-nistp256');
    expect(formatPublicKey(key)).toBe(k.publicKeyText.split(' ').slice(0, 2).join(' '));
    const l = await run(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', k.publicPath]);
    expect(l.stdout.split(' ')[1]).toBe(fingerprintSha256(key));
  });

  it('builds a passkey key (sk-ecdsa, application = RP ID) that ssh-keygen reads and fingerprints identically', async () => {
    const pk = createPasskey({ rpId: 'sign.example.org' });
    const { writeFile } = await import('node:fs/promises');
    const p = `${tmp.dir}/passkey.pub`;
    await writeFile(p, formatPublicKey(pk.sshKey, 'alice phone') + '\n');
    const l = await run(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', p]);
    expect(l.code).toBe(0);
    expect(l.stdout).toContain(fingerprintSha256(pk.sshKey));
    expect(l.stdout).toContain('ECDSA-SK');
    expect(pk.sshKey.application).toBe('sign.example.org');
  });

  it('fingerprints the OpenSSH vector key as OpenSSH does', () => {
    const key = parsePublicKeyText(
      'sk-ecdsa-sha2-nistp256@openssh.com AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBBRGwDjs4HhJFcn4tJ5Gr72KcmRmCS1OirETxaXvnsNApgoOLF1a/7rxldfSMHm73eT1nhHe97W8qicPPEAKDJQAAAALbWluZHJvdC5vcmc=',
    );
    expect(key.application).toBe('mindrot.org');
    expect(fingerprintSha256(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('refuses RSA keys with unsupported-algorithm and says why', async () => {
    const r = await run(SSH_KEYGEN, ['-q', '-t', 'rsa', '-b', '1024', '-N', '', '-f', `${tmp.dir}/rsa`]);
    expect(r.code).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(`${tmp.dir}/rsa.pub`, 'utf8');
    expect(() => parsePublicKeyText(text)).toThrow(/RSA keys are not supported/);
    expect(codeOf(() => parsePublicKeyText(text))).toBe('unsupported-algorithm');
  });

  it('refuses sk-ssh-ed25519 and certificates by name', () => {
    const sked = new SshWriter().string('sk-ssh-ed25519@openssh.com').string(new Uint8Array(32)).string('ssh:').bytes();
    expect(() => parsePublicKeyBlob(sked)).toThrow(/sk-ssh-ed25519 .* not supported/);
    const cert = new SshWriter().string('ssh-ed25519-cert-v01@openssh.com').string(new Uint8Array(32)).bytes();
    expect(() => parsePublicKeyBlob(cert)).toThrow(/certificates .* not supported/);
    expect(codeOf(() => parsePublicKeyBlob(new SshWriter().string('ssh-foo').bytes()))).toBe('unsupported-algorithm');
  });

  it('refuses malformed keys with bad-key', () => {
    const pk = createPasskey({ rpId: 'x.example' }).sshKey;
    const q = pk.q!;
    const mk = (qq: Uint8Array, curve = 'nistp256') => new SshWriter().string('ecdsa-sha2-nistp256').string(curve).string(qq).bytes();
    expect(codeOf(() => parsePublicKeyBlob(mk(q)))).toBeUndefined();
    expect(() => parsePublicKeyBlob(mk(q, 'nistp384'))).toThrow(/curve "nistp384" does not match/);
    const offCurve = q.slice();
    offCurve[64] ^= 1;
    expect(() => parsePublicKeyBlob(mk(offCurve))).toThrow(/not on the P-256 curve/);
    const compressed = new Uint8Array([2 + (q[64] & 1), ...q.subarray(1, 33)]);
    expect(() => parsePublicKeyBlob(mk(compressed))).toThrow(/uncompressed/);
    expect(() => parsePublicKeyBlob(new Uint8Array([...mk(q), 0]))).toThrow(/trailing/);
    expect(() => parsePublicKeyBlob(new SshWriter().string('ssh-ed25519').string(new Uint8Array(31)).bytes())).toThrow(/31 bytes, expected 32/);
    expect(codeOf(() => parsePublicKeyBlob(pk.blob.subarray(0, 40)))).toBe('bad-key');
    expect(() => parsePublicKeyText('ssh-ed25519 ' + Buffer.from(pk.blob).toString('base64'))).toThrow(/says ssh-ed25519 but the key inside is sk-ecdsa/);
    expect(() => parsePublicKeyText('ssh-ed25519 not*base64')).toThrow(/not valid base64/);
  });

  it('compares keys including the application (one passkey under two RP IDs is two keys)', () => {
    const pk = createPasskey({ rpId: 'a.example' });
    const same = skEcdsaKey(pk.sshKey.q!, 'a.example');
    const other = skEcdsaKey(pk.sshKey.q!, 'b.example');
    expect(publicKeysEqual(pk.sshKey, same)).toBe(true);
    expect(publicKeysEqual(pk.sshKey, other)).toBe(false);
    expect(fingerprintSha256(pk.sshKey)).not.toBe(fingerprintSha256(other));
  });
});
