/**
 * `countersign verify-sig` against stock `ssh-keygen -Y verify` on the same files: the same
 * verdict and, when good, the same line. (The deep differential suite lives in tests/unit;
 * here the command-line surface is checked.) Then the opt-in passkey policy and bad input.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armorSshSig, dearmorSshSig, parseSshSig } from '../../lib/sshsig';
import { formatPublicKey } from '../../lib/ssh/public-key';
import { SshWriter } from '../../lib/ssh/wire';
import { expectOneLineError, runCli, type CliResult } from '../support/cli';
import { createPasskey, passkeySshSig } from '../support/soft-authenticator';
import { makeKey, makeTempDir, run, sshKeygenSign, type KeygenKey } from '../support/ssh-keygen';

const NS = 'countersign-review@countersign.dev';
const VECTOR = new URL('../fixtures/openssh-webauthn/', import.meta.url).pathname;

let tmp: { dir: string; cleanup: () => Promise<void> };
let ed: KeygenKey;
let ec: KeygenKey;
let signers: string;
const message = new TextEncoder().encode('countersign review statement v1\nrepository: demo\n');
const passkey = createPasskey({ rpId: 'sign.example.org' });

beforeAll(async () => {
  tmp = await makeTempDir('countersign-verify-sig-');
  ed = await makeKey(tmp.dir, 'ed25519', 'ed');
  ec = await makeKey(tmp.dir, 'ecdsa', 'ec');
  signers = join(tmp.dir, 'allowed_signers');
  await writeFile(
    signers,
    [
      `bob@example.org ${ed.publicKeyText}`,
      `carol@example.org namespaces="${NS}" ${ec.publicKeyText}`,
      `erin@example.org ${formatPublicKey(passkey.sshKey)}`,
    ].join('\n') + '\n',
  );
});
afterAll(() => tmp?.cleanup());

let n = 0;
async function file(content: string | Uint8Array): Promise<string> {
  const p = join(tmp.dir, `f${++n}`);
  await writeFile(p, content);
  return p;
}

interface Case {
  name: string;
  allowedSigners: string;
  identity: string;
  namespace: string;
  sig: string; // path
  message: Uint8Array;
  good: boolean;
}

async function both(c: Case): Promise<{ ours: CliResult; stock: { code: number; stdout: string } }> {
  const args = ['-f', c.allowedSigners, '-I', c.identity, '-n', c.namespace, '-s', c.sig];
  const [ours, stock] = await Promise.all([runCli(['verify-sig', ...args], { input: c.message }), run('ssh-keygen', ['-Y', 'verify', ...args], c.message)]);
  return { ours, stock };
}

describe('verify-sig gives the verdict of ssh-keygen -Y verify', () => {
  it('on good and bad signatures from ssh-keygen, a passkey and OpenSSH\'s own webauthn vector', async () => {
    const edSig = await file(await sshKeygenSign(ed.privatePath, NS, message));
    const ecSig = await file(await sshKeygenSign(ec.privatePath, NS, message));
    const gitNsSig = await file(await sshKeygenSign(ec.privatePath, 'git', message));
    const { sshsig: noUv } = passkeySshSig(passkey, { message, namespace: NS, origin: 'https://sign.example.org', flags: 0x01 });
    const pkSig = await file(armorSshSig(noUv));
    const badLineFirst = await file(`bob@example.org verify-required ${ed.publicKeyText}\nbob@example.org ${ed.publicKeyText}\n`);
    const tampered = new Uint8Array([...message, 0x0a]);

    const cases: Case[] = [
      { name: 'ed25519 good', allowedSigners: signers, identity: 'bob@example.org', namespace: NS, sig: edSig, message, good: true },
      { name: 'ecdsa good', allowedSigners: signers, identity: 'carol@example.org', namespace: NS, sig: ecSig, message, good: true },
      { name: 'tampered message', allowedSigners: signers, identity: 'bob@example.org', namespace: NS, sig: edSig, message: tampered, good: false },
      { name: 'wrong namespace asked', allowedSigners: signers, identity: 'bob@example.org', namespace: 'git', sig: edSig, message, good: false },
      { name: 'namespaces= refuses git', allowedSigners: signers, identity: 'carol@example.org', namespace: 'git', sig: gitNsSig, message, good: false },
      { name: 'wrong identity', allowedSigners: signers, identity: 'carol@example.org', namespace: NS, sig: edSig, message, good: false },
      { name: 'passkey without UV (stock does not check flags)', allowedSigners: signers, identity: 'erin@example.org', namespace: NS, sig: pkSig, message, good: true },
      { name: 'bad allowed_signers line before a good one', allowedSigners: badLineFirst, identity: 'bob@example.org', namespace: NS, sig: edSig, message, good: true },
      {
        name: 'OpenSSH webauthn vector',
        allowedSigners: join(VECTOR, 'allowed_signers'),
        identity: 'test@mindrot',
        namespace: (await readFile(join(VECTOR, 'namespace'), 'utf8')).trim(),
        sig: join(VECTOR, 'ecdsa_sk_webauthn.sig'),
        message: new Uint8Array(await readFile(join(VECTOR, 'signed-data'))),
        good: true,
      },
    ];

    const results = await Promise.all(cases.map(both));
    const verdicts = results.map(({ ours, stock }, i) => ({ name: cases[i].name, ours: ours.code === 0, stock: stock.code === 0 }));
    expect(verdicts).toEqual(cases.map((c) => ({ name: c.name, ours: c.good, stock: c.good })));
    results.forEach(({ ours, stock }, i) => {
      if (cases[i].good) expect(ours.stdout).toBe(stock.stdout); // 'Good "ns" signature for X with TYPE key SHA256:…'
      else expect(expectOneLineError(ours)).toMatch(/^countersign: Could not verify signature: /);
    });
  });
});

describe('verify-sig reads the signature file as ssh-keygen does (sshsig_dearmor) and its C strings as sshbuf_get_cstring', () => {
  it('gives ssh-keygen\'s verdict on armor and wire edge cases', async () => {
    const armored = await sshKeygenSign(ed.privatePath, NS, message);
    const bin = dearmorSshSig(armored);
    const p = parseSshSig(bin);
    // The namespace with one trailing NUL: OpenSSH drops it; two NULs: refused.
    const withNs = (tail: number[]) =>
      armorSshSig(
        new SshWriter().raw('SSHSIG').uint32(1).string(p.publicKey.blob).string(new Uint8Array([...Buffer.from(NS), ...tail])).string('').string(p.hashAlg).string(p.signature).bytes(),
      );
    // The embedded key's type with one trailing NUL: the same key, printed with the same fingerprint.
    const keyNul = new SshWriter().string(new Uint8Array([...Buffer.from('ssh-ed25519'), 0])).string(p.publicKey.ed25519!).bytes();
    const withKeyNul = armorSshSig(new SshWriter().raw('SSHSIG').uint32(1).string(keyNul).string(NS).string('').string(p.hashAlg).string(p.signature).bytes());
    const variants: [string, string | Uint8Array, boolean][] = [
      ['key type with a trailing NUL', withKeyNul, true],
      ['as written', armored, true],
      ['a leading blank line', '\n' + armored, false],
      ['CRLF line ends', armored.replace(/\n/g, '\r\n'), false],
      ['text after the END line', armored + 'approved on my phone\n', true],
      ['no final newline', armored.trimEnd(), true],
      ['whitespace inside the base64', armored.replace(/\n(?!-----END)/g, '\n \t').replace('\n \t', '\n'), true],
      ['a NUL before the END line', armored.replace('\n-----END', '\0\n-----END'), true],
      ['a non-UTF-8 byte after the END line', new Uint8Array([...Buffer.from(armored), 0xff, 0x0a]), true],
      ['namespace with a trailing NUL', withNs([0]), true],
      ['namespace with two trailing NULs', withNs([0, 0]), false],
    ];
    const cases: Case[] = [];
    for (const [name, content, good] of variants) {
      cases.push({ name, allowedSigners: signers, identity: 'bob@example.org', namespace: NS, sig: await file(content), message, good });
    }
    const results = await Promise.all(cases.map(both));
    const verdicts = results.map(({ ours, stock }, i) => ({ name: cases[i].name, ours: ours.code === 0, stock: stock.code === 0 }));
    expect(verdicts).toEqual(cases.map((c) => ({ name: c.name, ours: c.good, stock: c.good })));
    results.forEach(({ ours, stock }, i) => {
      if (cases[i].good) expect(ours.stdout).toBe(stock.stdout);
      else expect(expectOneLineError(ours)).toMatch(/^countersign: /);
    });
    expect(expectOneLineError(results[2].ours)).toMatch(/whitespace or blank lines before it/);
    expect(expectOneLineError(results[3].ours)).toMatch(/CRLF/);
  });
});

describe('verify-sig adds the passkey policy stock ssh-keygen lacks', () => {
  it('--require-uv refuses a passkey signature without the UV flag; --origin refuses another origin', async () => {
    const { sshsig: noUv } = passkeySshSig(passkey, { message, namespace: NS, origin: 'https://sign.example.org', flags: 0x01 });
    const { sshsig: good } = passkeySshSig(passkey, { message, namespace: NS, origin: 'https://sign.example.org' });
    const noUvSig = await file(armorSshSig(noUv));
    const goodSig = await file(armorSshSig(good));
    const base = ['verify-sig', '-f', signers, '-I', 'erin@example.org', '-n', NS];
    const [uvRefused, uvGood, originRefused, originGood] = await Promise.all([
      runCli([...base, '-s', noUvSig, '--require-uv'], { input: message }),
      runCli([...base, '-s', goodSig, '--require-uv', '--require-up'], { input: message }),
      runCli([...base, '-s', goodSig, '--origin', 'https://other.example.org'], { input: message }),
      runCli([...base, '-s', goodSig, '--origin', 'https://other.example.org', '--origin', 'https://sign.example.org'], { input: message }),
    ]);
    expect(uvRefused.code).toBe(1);
    expect(expectOneLineError(uvRefused)).toMatch(/UV flag clear/);
    expect(uvGood.code).toBe(0);
    expect(uvGood.stdout).toMatch(/^Good "countersign-review@countersign\.dev" signature for erin@example\.org with ECDSA-SK key SHA256:/);
    expect(originRefused.code).toBe(1);
    expect(expectOneLineError(originRefused)).toMatch(/origin "https:\/\/sign\.example\.org"/);
    expect(originGood.code).toBe(0);
  });
});

describe('verify-sig on bad input: one line, non-zero, no stack trace', () => {
  it('a malformed, a truncated and an unsupported-key signature file; a missing file', async () => {
    const armored = await sshKeygenSign(ed.privatePath, NS, message);
    const lines = armored.trim().split('\n');
    const truncated = await file(lines.slice(0, 3).join('\n') + '\n' + lines[lines.length - 1] + '\n');
    const garbage = await file('this is not a signature\n');

    const rsa = join(tmp.dir, 'rsa');
    expect((await run('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa])).code).toBe(0);
    const rsaSig = await file(await sshKeygenSign(rsa, NS, message));
    const rsaSigners = await file(`dan@example.org ${(await readFile(rsa + '.pub', 'utf8')).trim()}\n`);

    // A key type nobody knows, in an otherwise well-formed SSHSIG.
    const unknownKey = new SshWriter().string('ssh-unheard-of@example.org').string('key bytes').bytes();
    const unknown = new SshWriter().raw('SSHSIG').uint32(1).string(unknownKey).string(NS).string('').string('sha512').string(new SshWriter().string('ssh-unheard-of@example.org').string('sig').bytes()).bytes();
    const unknownSig = await file(armorSshSig(unknown));

    const base = (sig: string, as = signers, id = 'bob@example.org') => ['verify-sig', '-f', as, '-I', id, '-n', NS, '-s', sig];
    const [r1, r2, r3, r4, r5] = await Promise.all([
      runCli(base(garbage), { input: message }),
      runCli(base(truncated), { input: message }),
      runCli(base(rsaSig, rsaSigners, 'dan@example.org'), { input: message }),
      runCli(base(unknownSig), { input: message }),
      runCli(base(join(tmp.dir, 'missing.sig')), { input: message }),
    ]);
    expect(expectOneLineError(r1)).toMatch(/SSH SIGNATURE/);
    expect(expectOneLineError(r2)).toMatch(/^countersign: /);
    expect(expectOneLineError(r3)).toMatch(/RSA keys are not supported/);
    expect(expectOneLineError(r4)).toMatch(/ssh-unheard-of@example\.org/);
    expect(r5.code).toBe(2);
    expect(expectOneLineError(r5)).toMatch(/signature file .*missing\.sig does not exist/);
    // ...and stock ssh-keygen agrees that none of the first two verify.
    for (const sig of [garbage, truncated]) {
      expect((await run('ssh-keygen', ['-Y', 'verify', '-f', signers, '-I', 'bob@example.org', '-n', NS, '-s', sig], message)).code).not.toBe(0);
    }
  });
});
