import { describe, expect, it } from 'vitest';
import { fingerprintSha256, formatPublicKey } from '../ssh/public-key';
import { createSoftSshKey } from '../../tests/support/soft-authenticator';
import { signerIdentities } from './identity';
import { parseAllowedSigners } from './parse';

const [k1, k2, k3, k4] = [createSoftSshKey('ed25519'), createSoftSshKey('ed25519'), createSoftSshKey('ecdsa'), createSoftSshKey('ed25519')];
const key = (k: typeof k1) => formatPublicKey(k.sshKey);

describe('signer identities of an allowed_signers file', () => {
  const file = parseAllowedSigners(
    [
      `alice@example.org,alice@corp.example ${key(k1)}`, // line 1: Alice's phone
      `Alice@Corp.example ${key(k2)}`, // line 2: Alice's laptop, tied by a shared address (any case)
      `al@other.example ${key(k2)}`, // line 3: the laptop's key again, under another name
      `*@example.org ${key(k3)}`, // line 4: a wildcard is not expanded into ties
      `bob@example.org,!alice@corp.example ${key(k4)}`, // line 5: a negated pattern ties nothing
    ].join('\n') + '\n',
  );
  const ids = signerIdentities(file);

  it('ties lines that share a key or a principal pattern, transitively', () => {
    expect(file.map((s) => ids.of(s))).toEqual([0, 0, 0, 3, 4]);
    expect(ids.label(0)).toBe('alice@example.org');
  });

  it('finds the identities that list an address, as OpenSSH matches patterns, ignoring case', () => {
    expect(ids.matching('ALICE@corp.example').sort()).toEqual([0]);
    expect(ids.matching('alice@example.org').sort()).toEqual([0, 3]);
    expect(ids.matching('nobody@elsewhere.example')).toEqual([]);
  });

  it('finds the identities of a key', () => {
    expect(ids.ofKey(fingerprintSha256(k2.sshKey))).toEqual([0]);
    expect(ids.ofKey(fingerprintSha256(k4.sshKey))).toEqual([4]);
  });
});
