import { afterAll, describe, expect, it } from 'vitest';
import { CountersignError } from '../errors';
import { makeKey, makeTempDir, sshKeygenSign } from '../../tests/support/ssh-keygen';
import { createSoftSshKey, softSignatureBlob } from '../../tests/support/soft-authenticator';
import { armorSshSig, dearmorSshSig, encodeSshSig, parseSshSig } from './format';
import { signedDataBlob } from './signed-data';
import { SshWriter } from '../ssh/wire';

const tmp = await makeTempDir();
afterAll(() => tmp.cleanup());
const message = new TextEncoder().encode('statement\n');

describe('SSHSIG container', () => {
  it('armors exactly as ssh-keygen -Y sign writes (70 columns, final newline)', async () => {
    const k = await makeKey(tmp.dir, 'ecdsa');
    const armored = await sshKeygenSign(k.privatePath, 'countersign-review@countersign.dev', message);
    const bin = dearmorSshSig(armored);
    expect(armorSshSig(bin)).toBe(armored);
    expect(armored.split('\n').slice(1, -3).every((l) => l.length === 70)).toBe(true);
  });

  it('parses what ssh-keygen writes and re-encodes it byte for byte', async () => {
    const k = await makeKey(tmp.dir, 'ed25519');
    const bin = dearmorSshSig(await sshKeygenSign(k.privatePath, 'ns', message));
    const p = parseSshSig(bin);
    expect(p).toMatchObject({ version: 1, namespace: 'ns', hashAlg: 'sha512' });
    expect(p.publicKey.blob).toEqual(k.key.blob);
    expect(encodeSshSig({ publicKey: p.publicKey, namespace: p.namespace, hashAlg: 'sha512', signature: p.signature })).toEqual(bin);
  });

  it('refuses every truncation and any trailing byte with bad-signature, never another exception', () => {
    const k = createSoftSshKey('ecdsa');
    const bin = encodeSshSig({ publicKey: k.sshKey, namespace: 'ns', signature: softSignatureBlob(k, signedDataBlob('ns', message)) });
    for (let n = 0; n < bin.length; n++) {
      let err: unknown;
      try {
        parseSshSig(bin.subarray(0, n));
      } catch (e) {
        err = e;
      }
      expect(err, `prefix of ${n} bytes`).toBeInstanceOf(CountersignError);
      expect((err as CountersignError).code).toBe('bad-signature');
    }
    expect(() => parseSshSig(new Uint8Array([...bin, 0]))).toThrow(/trailing/);
  });

  it('refuses a wrong magic and a newer version, accepts version 0 as OpenSSH does', () => {
    const k = createSoftSshKey('ed25519');
    const bin = encodeSshSig({ publicKey: k.sshKey, namespace: 'ns', signature: softSignatureBlob(k, signedDataBlob('ns', message)) });
    const bad = bin.slice();
    bad[0] = 0x73;
    expect(() => parseSshSig(bad)).toThrow(/does not start with "SSHSIG"/);
    const v2 = bin.slice();
    v2[9] = 2;
    expect(() => parseSshSig(v2)).toThrow(/version 2 is newer/);
    const v0 = bin.slice();
    v0[9] = 0;
    expect(parseSshSig(v0).version).toBe(0);
  });

  it('dearmors what sshsig_dearmor takes: exact BEGIN line first, base64 up to the first END line, anything after', () => {
    const k = createSoftSshKey('ed25519');
    const bin = encodeSshSig({ publicKey: k.sshKey, namespace: 'ns', signature: softSignatureBlob(k, signedDataBlob('ns', message)) });
    const armored = armorSshSig(bin);
    expect(dearmorSshSig(armored)).toEqual(bin);
    expect(dearmorSshSig(new TextEncoder().encode(armored))).toEqual(bin);
    expect(dearmorSshSig(armored + 'comment after the END line\n')).toEqual(bin);
    expect(dearmorSshSig(armored.trimEnd())).toEqual(bin);
    expect(dearmorSshSig(armored.replace(/\n(?!-----END)/g, '\n \t\v\f\r\n').replace('\n \t\v\f\r\n', '\n'))).toEqual(bin);
    expect(() => dearmorSshSig('\n' + armored)).toThrow(/must start with the line -----BEGIN SSH SIGNATURE----- \(ssh-keygen refuses whitespace/);
    expect(() => dearmorSshSig(armored.replace(/\n/g, '\r\n'))).toThrow(/refuses CRLF line ends/);
    expect(() => dearmorSshSig('junk ' + armored)).toThrow(/must start with/);
    expect(() => dearmorSshSig(armored.replace('\n-----END', '-----END'))).toThrow(/has no line -----END SSH SIGNATURE-----/);
    expect(() => dearmorSshSig(armored.replace('U1NIU0lH', 'U1NI*0lH'))).toThrow(/not valid base64/);
    expect(() => dearmorSshSig(armored.replace('U1NIU0lH', 'U1NI\0U0lH'))).toThrow(/contains a NUL byte/);
    expect(dearmorSshSig(armored.replace('\n-----END', '\0\n-----END'))).toEqual(bin);
    expect(() => dearmorSshSig('-----BEGIN SSH SIGNATURE----------END SSH SIGNATURE-----')).toThrow(/must start with/);
  });

  it('decodes base64 as b64_pton: padding required, zero padding bits, nothing but whitespace after it', () => {
    const wrap = (b64: string) => `-----BEGIN SSH SIGNATURE-----\n${b64}\n-----END SSH SIGNATURE-----\n`;
    expect(dearmorSshSig(wrap('YQ=='))).toEqual(Uint8Array.of(0x61));
    expect(dearmorSshSig(wrap('YWI='))).toEqual(Uint8Array.of(0x61, 0x62));
    expect(dearmorSshSig(wrap('YQ= \n='))).toEqual(Uint8Array.of(0x61));
    expect(dearmorSshSig(wrap(''))).toEqual(new Uint8Array(0));
    for (const bad of ['YQ', 'YQ=', 'YR==', 'YWJ=', 'YQ===', 'YQ==YQ==', 'Y-I=', '=YQ=']) {
      expect(() => dearmorSshSig(wrap(bad)), bad).toThrow(/not valid base64/);
    }
  });

  it('reads C strings as sshbuf_get_cstring: a trailing NUL is dropped and the embedded key comes out canonical', () => {
    const k = createSoftSshKey('ecdsa');
    const nul = (t: string) => new Uint8Array([...Buffer.from(t), 0]);
    const keyBlob = new SshWriter().string(nul('ecdsa-sha2-nistp256')).string(nul('nistp256')).string(k.sshKey.q!).bytes();
    const bin = new SshWriter().raw('SSHSIG').uint32(1).string(keyBlob).string(nul('ns')).string('').string(nul('sha512')).string(Uint8Array.of(1)).bytes();
    const p = parseSshSig(bin);
    expect(p).toMatchObject({ namespace: 'ns', namespaceBytes: new TextEncoder().encode('ns'), hashAlg: 'sha512' });
    expect(p.publicKey.blob).toEqual(k.sshKey.blob);
    const twice = new SshWriter().raw('SSHSIG').uint32(1).string(k.sshKey.blob).string(new Uint8Array([0x6e, 0x73, 0, 0])).string('').string('sha512').string(Uint8Array.of(1)).bytes();
    expect(() => parseSshSig(twice)).toThrow(/namespace contains a NUL byte before its end/);
  });

  it('encodes only sha512/sha256 and a non-empty namespace', () => {
    const k = createSoftSshKey('ed25519');
    expect(() => encodeSshSig({ publicKey: k.sshKey, namespace: '', signature: Uint8Array.of(1) })).toThrow(/namespace is required/);
    expect(() => encodeSshSig({ publicKey: k.sshKey, namespace: 'ns', hashAlg: 'md5' as 'sha512', signature: Uint8Array.of(1) })).toThrow(/sha512 or sha256/);
  });
});
