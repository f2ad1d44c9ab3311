import { describe, expect, it } from 'vitest';
import { formatPublicKey } from '../ssh/public-key';
import { SshWriter } from '../ssh/wire';
import { errorOf } from '../../tests/support/errors';
import { createPasskey, createSoftSshKey } from '../../tests/support/soft-authenticator';
import { parseAllowedSigners, parseAllowedSignersLenient } from './parse';

const pk = createPasskey({ rpId: 'sign.example.org' }).sshKey;
const ed = createSoftSshKey('ed25519').sshKey;
const K = formatPublicKey(pk);

describe('allowed_signers parsing', () => {
  it('reads principals, options and the key; skips comments and blank lines', () => {
    const text = [
      '# Countersign reviewers',
      '',
      `alice@example.org,*@ops.example.org namespaces="countersign-review@countersign.dev",valid-after="20260101",valid-before="20270101120000Z" ${K} alice phone`,
      `bob@example.org ${formatPublicKey(ed)}`,
      `ca@example.org cert-authority ${formatPublicKey(ed)}`,
    ].join('\n');
    const s = parseAllowedSigners(text, '.countersign/allowed_signers');
    expect(s).toHaveLength(3);
    expect(s[0]).toMatchObject({
      principals: 'alice@example.org,*@ops.example.org',
      namespaces: 'countersign-review@countersign.dev',
      validAfter: Date.UTC(2026, 0, 1) / 1000, // local time; this suite runs in the machine's zone
      validBefore: Date.UTC(2027, 0, 1, 12) / 1000,
      certAuthority: false,
      line: 3,
      source: '.countersign/allowed_signers',
    });
    expect(s[0].key.blob).toEqual(pk.blob);
    expect(s[1]).toMatchObject({ principals: 'bob@example.org', certAuthority: false, line: 4 });
    expect(s[2]).toMatchObject({ certAuthority: true, line: 5 });
  });

  it('rejects an unknown option naming the line and the option', () => {
    const e = errorOf(() => parseAllowedSigners(`# x\nalice@example.org verify-required ${K}\n`));
    expect(e.code).toBe('bad-allowed-signers');
    expect(e.message).toMatch(/^allowed_signers line 2: unknown option "verify-required"/);
    expect(errorOf(() => parseAllowedSigners(`a namespaces="x",no-touch-required ${K}`)).message).toMatch(/unknown option "no-touch-required"/);
  });

  it.each([
    [`alice valid-after=20260101 ${K}`, /missing start quote/],
    [`alice namespaces="git ${K}`, /unterminated quote|missing end quote|missing key/],
    [`alice valid-after="2026010" ${K}`, /invalid "valid-after" time "2026010"/],
    [`alice valid-after="20261301" ${K}`, /invalid "valid-after" time/],
    [`alice valid-after="20270101",valid-before="20260101" ${K}`, /"valid-before" time is not after "valid-after"/],
    [`alice namespaces="a",namespaces="b" ${K}`, /multiple "namespaces" clauses/],
    [`alice namespaces="a", ${K}`, /unexpected end of options|unknown option/],
    [`alice`, /invalid line|missing key/],
    [`alice ssh-ed25519`, /missing key|invalid key/],
    [`alice ${K.replace(/=+$/, '')}`, /invalid key/],
    [`alice ecdsa-sha2-nistp256 ${K.split(' ')[1]}`, /the line says ecdsa-sha2-nistp256 but the key is sk-ecdsa/],
  ].map(([line, reason]) => [(line as string).replace(K, '<key>').replace(K.split(' ')[1], '<base64>'), line, reason] as const))(
    'refuses %s',
    (_label, line, reason) => {
      expect(errorOf(() => parseAllowedSigners(line as string)).message).toMatch(reason as RegExp);
    },
  );
  it('refuses RSA keys as unsupported-algorithm, explaining why', () => {
    const rsa = Buffer.from(new SshWriter().string('ssh-rsa').string(Uint8Array.of(1, 0, 1)).string(new Uint8Array(129).fill(7)).bytes()).toString('base64');
    const e = errorOf(() => parseAllowedSigners(`alice ssh-rsa ${rsa}`));
    expect(e.code).toBe('unsupported-algorithm');
    expect(e.message).toMatch(/allowed_signers line 1: RSA keys are not supported/);
  });

  it('lenient parsing keeps good lines and lists the bad ones, as ssh-keygen skips them', () => {
    const { signers, problems } = parseAllowedSignersLenient(`alice verify-required ${K}\nalice ${K}\nbob namespaces=x ${K}\n`);
    expect(signers.map((s) => s.line)).toEqual([2]);
    expect(problems.map((p) => p.line)).toEqual([1, 3]);
    expect(problems[0].message).toMatch(/line 1: unknown option "verify-required"/);
  });

  it('handles quoted principals, tabs, CRLF and the webauthn type name', () => {
    const s = parseAllowedSigners(
      `"alice@example.org,bob@example.org"\t${K}\r\n` + `carol webauthn-sk-ecdsa-sha2-nistp256@openssh.com ${K.split(' ')[1]}\r\n`,
    );
    expect(s.map((x) => x.principals)).toEqual(['alice@example.org,bob@example.org', 'carol']);
    expect(s[1].key.type).toBe('sk-ecdsa-sha2-nistp256@openssh.com');
  });

  it('reads option names case-insensitively and escaped quotes in values', () => {
    const [s] = parseAllowedSigners(`alice NAMESPACES="a\\"b,c",Cert-Authority ${K}`);
    expect(s).toMatchObject({ namespaces: 'a"b,c', certAuthority: true });
  });
});
