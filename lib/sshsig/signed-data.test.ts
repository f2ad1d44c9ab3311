import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedDataBlob } from './signed-data';

describe('SSHSIG signed data (the WebAuthn challenge)', () => {
  const message = new TextEncoder().encode('hello\n');

  it('is "SSHSIG" | string namespace | string "" | string hash_alg | string H(message)', () => {
    const blob = signedDataBlob('git', message);
    const h = createHash('sha512').update(message).digest();
    const expected = Buffer.concat([
      Buffer.from('SSHSIG'),
      Buffer.from([0, 0, 0, 3]),
      Buffer.from('git'),
      Buffer.from([0, 0, 0, 0]),
      Buffer.from([0, 0, 0, 6]),
      Buffer.from('sha512'),
      Buffer.from([0, 0, 0, 64]),
      h,
    ]);
    expect(Buffer.from(blob)).toEqual(expected);
    expect(blob).toHaveLength(95); // the size the reference notes give for namespace "git"
  });

  it('uses the message hash, so the challenge is small whatever the message size', () => {
    expect(signedDataBlob('countersign-review@countersign.dev', new Uint8Array(1 << 20))).toHaveLength(126);
    expect(signedDataBlob('ns', message, 'sha256')).toHaveLength(6 + 6 + 4 + 10 + 36);
  });

  it('refuses an empty namespace and unknown hash algorithms', () => {
    expect(() => signedDataBlob('', message)).toThrow(/namespace is required/);
    expect(() => signedDataBlob('ns', message, 'sha1' as 'sha256')).toThrow(/sha512 or sha256/);
  });
});
