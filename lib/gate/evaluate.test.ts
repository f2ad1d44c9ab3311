import { describe, expect, it } from 'vitest';
import { parseAllowedSigners } from '../allowed-signers';
import { formatNoteLine } from '../notes/line';
import { parsePolicy, type Policy } from '../policy/policy';
import { formatPublicKey } from '../ssh/public-key';
import { statementBytes } from '../statement/statement';
import { createPasskey, createSoftSshKey, passkeySshSig, softSshSig, type SoftSshKey } from '../../tests/support/soft-authenticator';
import { evaluateLines, evaluationCache, NOTE_BUDGET, type EvaluateLinesInput } from './evaluate';
import type { Exclusion } from './exclusions';

const REPO = 'acme/widgets';
const COMMIT = 'a'.repeat(40);
const TREE = 'b'.repeat(40);
const OTHER_COMMIT = 'c'.repeat(40);
const AUTHOR = 'ada@example.org';
const TIME = '2026-01-02T03:04:05Z';
const NOW = new Date('2026-02-01T00:00:00Z');

/** The lines a policy needs before passkeys count (strict default: none without them). */
const STRICT = { rpIds: ['sign.example.org'], origins: ['https://sign.example.org'] };
const policy = (extra: Record<string, unknown> = {}): Policy => parsePolicy(JSON.stringify({ repository: REPO, threshold: 2, ...extra }));

const bob = createSoftSshKey('ed25519');
const carol = createSoftSshKey('ecdsa');
const dave = createSoftSshKey('ed25519'); // not trusted
const ada = createSoftSshKey('ed25519'); // the author, trusted
const passkey = createPasskey({ rpId: 'sign.example.org' });
const strayPasskey = createPasskey({ rpId: 'evil.example.net' });
const newPasskey = createPasskey({ rpId: 'sign.example.org' }); // gina's, not listed (yet)

const allowedSigners = parseAllowedSigners(
  [
    `bob@example.org ${formatPublicKey(bob.sshKey)}`,
    `carol@example.org ${formatPublicKey(carol.sshKey)}`,
    `ada@example.org ${formatPublicKey(ada.sshKey)}`,
    `erin@example.org ${formatPublicKey(passkey.sshKey)}`,
    `frank@example.org ${formatPublicKey(strayPasskey.sshKey)}`,
  ].join('\n') + '\n',
);

interface LineOpts {
  signer: string;
  verdict?: string;
  commit?: string;
  repository?: string;
  namespace?: string;
  time?: string;
}

function statement(o: LineOpts) {
  return statementBytes({
    repository: o.repository ?? REPO,
    commit: o.commit ?? COMMIT,
    tree: TREE,
    verdict: o.verdict ?? 'approve',
    signer: o.signer,
    time: o.time ?? TIME,
  });
}

function sshLine(key: SoftSshKey, o: LineOpts): string {
  const signature = softSshSig(key, { message: statement(o), namespace: o.namespace ?? 'countersign-review@countersign.dev' });
  return formatNoteLine({ verdict: o.verdict ?? 'approve', signer: o.signer, time: o.time ?? TIME, signature });
}

function passkeyLine(pk = passkey, o: LineOpts & { flags?: number; origin?: string } = { signer: 'erin@example.org' }): string {
  const { sshsig } = passkeySshSig(pk, {
    message: statement(o),
    namespace: 'countersign-review@countersign.dev',
    origin: o.origin ?? 'https://sign.example.org',
    ...(o.flags !== undefined ? { flags: o.flags } : {}),
  });
  return formatNoteLine({ verdict: 'approve', signer: o.signer, time: o.time ?? TIME, signature: sshsig });
}

/** What exclusionsForCommits says of a commit written and committed by `email`. */
const writtenBy = (email: string): Exclusion[] => [
  { email, role: 'author', commit: COMMIT, verified: false },
  { email, role: 'committer', commit: COMMIT, verified: false },
];

function evaluate(lines: string[], extra: Partial<EvaluateLinesInput> = {}) {
  return evaluateLines({ lines, repository: REPO, commit: COMMIT, tree: TREE, exclusions: writtenBy(AUTHOR), policy: policy(), allowedSigners, now: NOW, ...extra });
}

describe('evaluateLines', () => {
  it('counts distinct trusted signers and meets the threshold with two', () => {
    const v = evaluate([sshLine(bob, { signer: 'bob@example.org' }), sshLine(carol, { signer: 'carol@example.org' })]);
    expect(v).toMatchObject({ threshold: 2, count: 2, met: true, signers: ['bob@example.org', 'carol@example.org'] });
    expect(v.lines.map((l) => [l.signer, l.ok, l.counted])).toEqual([
      ['bob@example.org', true, true],
      ['carol@example.org', true, true],
    ]);
    expect(v.lines[0].fingerprint).toMatch(/^SHA256:/);
  });

  it('is not met with one signer, and a threshold override raises the bar but never lowers it', () => {
    const lines = [sshLine(bob, { signer: 'bob@example.org' })];
    expect(evaluate(lines)).toMatchObject({ count: 1, met: false, threshold: 2 });
    expect(evaluate(lines, { thresholdOverride: 1 })).toMatchObject({ count: 1, met: false, threshold: 2 });
    const two = [...lines, sshLine(carol, { signer: 'carol@example.org' })];
    expect(evaluate(two, { thresholdOverride: 3 })).toMatchObject({ count: 2, met: false, threshold: 3 });
  });

  it('counts several lines of one signer once', () => {
    const v = evaluate([
      sshLine(bob, { signer: 'bob@example.org', time: '2026-01-02T03:04:05Z' }),
      sshLine(bob, { signer: 'bob@example.org', time: '2026-01-03T03:04:05Z' }),
    ]);
    expect(v).toMatchObject({ count: 1, met: false, signers: ['bob@example.org'] });
    expect(v.lines[1]).toMatchObject({ ok: true, counted: false, reason: 'bob@example.org is already counted' });
  });

  it('counts one key listed under two principals once', () => {
    const shared = parseAllowedSigners(`bob@example.org,robert@example.org ${formatPublicKey(bob.sshKey)}\n`);
    const v = evaluate(
      [sshLine(bob, { signer: 'bob@example.org' }), sshLine(bob, { signer: 'robert@example.org' })],
      { allowedSigners: shared },
    );
    expect(v.count).toBe(1);
    expect(v.lines[1].reason).toMatch(/already counted for bob@example.org/);
  });

  describe('counts people, not principal strings (signer identities)', () => {
    const alicePhone = createSoftSshKey('ed25519');
    const aliceLaptop = createSoftSshKey('ecdsa');
    const twoAddresses = 'alice@example.org,alice@corp.example';

    it('one person with two devices, each listed under both of her addresses, counts once', () => {
      const file = parseAllowedSigners(
        `${twoAddresses} ${formatPublicKey(alicePhone.sshKey)}\n${twoAddresses} ${formatPublicKey(aliceLaptop.sshKey)}\n` +
          `bob@example.org ${formatPublicKey(bob.sshKey)}\n`,
      );
      const alone = [sshLine(alicePhone, { signer: 'alice@example.org' }), sshLine(aliceLaptop, { signer: 'alice@corp.example' })];
      const v = evaluate(alone, { allowedSigners: file });
      expect(v).toMatchObject({ threshold: 2, count: 1, met: false, signers: ['alice@example.org'] });
      expect(v.lines[1]).toMatchObject({ ok: true, counted: false, status: 'not-counted' });
      expect(v.lines[1].reason).toMatch(/already counted for alice@example\.org/);
      // A second person still makes two.
      expect(evaluate([...alone, sshLine(bob, { signer: 'bob@example.org' })], { allowedSigners: file })).toMatchObject({ count: 2, met: true });
    });

    it('one wildcard principal line counts once whatever addresses its key signs as', () => {
      const file = parseAllowedSigners(`*@alice.dev ${formatPublicKey(alicePhone.sshKey)}\n`);
      const v = evaluate([sshLine(alicePhone, { signer: 'alice@alice.dev' }), sshLine(alicePhone, { signer: 'a.l.i.c.e@alice.dev' })], { allowedSigners: file });
      expect(v).toMatchObject({ count: 1, met: false });
    });

    it('one key listed on several lines under different patterns is one signer', () => {
      const file = parseAllowedSigners(
        `alice@example.org ${formatPublicKey(alicePhone.sshKey)}\nal@other.example ${formatPublicKey(alicePhone.sshKey)}\n`,
      );
      const v = evaluate([sshLine(alicePhone, { signer: 'alice@example.org' }), sshLine(alicePhone, { signer: 'al@other.example' })], { allowedSigners: file });
      expect(v).toMatchObject({ count: 1, met: false });
    });

    it("excludes the author's whole identity: an author address that is one of Alice's principals excludes all her lines", () => {
      const file = parseAllowedSigners(
        `alice@corp.example ${formatPublicKey(alicePhone.sshKey)}\nalice@corp.example,alice@example.org ${formatPublicKey(aliceLaptop.sshKey)}\n` +
          `bob@example.org ${formatPublicKey(bob.sshKey)}\n`,
      );
      const v = evaluate(
        [sshLine(alicePhone, { signer: 'alice@corp.example' }), sshLine(aliceLaptop, { signer: 'alice@example.org' }), sshLine(bob, { signer: 'bob@example.org' })],
        { allowedSigners: file, exclusions: writtenBy('alice@example.org'), policy: policy({ threshold: 1 }) },
      );
      expect(v.lines.map((l) => l.status)).toEqual(['not-counted', 'not-counted', 'counted']);
      expect(v.lines[0].reason).toMatch(/author \(alice@example\.org, the same signer in allowed_signers\) does not count/);
      expect(v.signers).toEqual(['bob@example.org']);
    });
  });

  it("does not count the commit's author when the policy excludes them (case-insensitively)", () => {
    const lines = [sshLine(ada, { signer: 'ada@example.org' }), sshLine(bob, { signer: 'bob@example.org' })];
    const v = evaluate(lines, { exclusions: writtenBy('Ada@Example.org') });
    expect(v).toMatchObject({ count: 1, met: false, excludedAuthor: 'Ada@Example.org' });
    expect(v.lines[0]).toMatchObject({ ok: true, counted: false });
    expect(v.lines[0].reason).toMatch(/author/);
    const allowed = evaluate(lines, { policy: policy({ excludeAuthor: false }), exclusions: [] });
    expect(allowed).toMatchObject({ count: 2, met: true });
    expect(allowed.excludedAuthor).toBeUndefined();
  });

  it('refuses a signer that is not in the trusted allowed_signers', () => {
    const v = evaluate([sshLine(dave, { signer: 'dave@example.org' })]);
    expect(v.lines[0]).toMatchObject({ ok: false, counted: false });
    expect(v.lines[0].reason).toMatch(/dave@example\.org/);
  });

  it('refuses a line that claims another signer than the key belongs to', () => {
    const v = evaluate([sshLine(dave, { signer: 'bob@example.org' })]);
    expect(v.lines[0]).toMatchObject({ signer: 'bob@example.org', ok: false, counted: false });
  });

  it('refuses a signature copied from another commit or another repository', () => {
    const copied = sshLine(bob, { signer: 'bob@example.org', commit: OTHER_COMMIT });
    const otherRepo = sshLine(carol, { signer: 'carol@example.org', repository: 'acme/other' });
    const v = evaluate([copied, otherRepo]);
    expect(v.lines.map((l) => l.ok)).toEqual([false, false]);
    expect(v.count).toBe(0);
  });

  it('refuses a signature made under another namespace (e.g. a git commit signature)', () => {
    const v = evaluate([sshLine(bob, { signer: 'bob@example.org', namespace: 'git' })]);
    expect(v.lines[0].ok).toBe(false);
    expect(v.lines[0].reason).toMatch(/namespace/);
  });

  it('reports a line that does not parse, and still counts the others', () => {
    const broken = 'countersign-v1 approve bob@example.org yesterday AAAA';
    const truncated = sshLine(carol, { signer: 'carol@example.org' }).slice(0, 120);
    const v = evaluate([broken, truncated, sshLine(bob, { signer: 'bob@example.org' })], { policy: policy({ threshold: 1 }) });
    expect(v).toMatchObject({ count: 1, met: true, signers: ['bob@example.org'] });
    expect(v.lines[0]).toMatchObject({ ok: false, counted: false, signer: 'bob@example.org', time: '?' });
    expect(v.lines[0].reason).toMatch(/^unreadable line: /);
    expect(v.lines[1]).toMatchObject({ ok: false, counted: false });
  });

  it('records a verdict other than approve without counting it', () => {
    const v = evaluate([sshLine(bob, { signer: 'bob@example.org', verdict: 'reject' })]);
    expect(v.lines[0]).toMatchObject({ ok: true, counted: false, verdict: 'reject' });
    expect(v.lines[0].reason).toMatch(/does not count/);
  });

  it('honours allowed_signers namespaces= restrictions', () => {
    const restricted = parseAllowedSigners(`bob@example.org namespaces="other@example.org" ${formatPublicKey(bob.sshKey)}\n`);
    const v = evaluate([sshLine(bob, { signer: 'bob@example.org' })], { allowedSigners: restricted });
    expect(v.lines[0].ok).toBe(false);
  });

  describe('passkey signatures', () => {
    it('count when the key is trusted and the authenticator verified the user', () => {
      const v = evaluate([passkeyLine()], { policy: policy({ threshold: 1, ...STRICT }) });
      expect(v.lines[0]).toMatchObject({ signer: 'erin@example.org', ok: true, counted: true });
      expect(v.met).toBe(true);
    });

    it('are refused without the UV flag when the policy requires user verification (the default)', () => {
      const line = passkeyLine(passkey, { signer: 'erin@example.org', flags: 0x01 });
      const v = evaluate([line], { policy: policy(STRICT) });
      expect(v.lines[0]).toMatchObject({ ok: false, counted: false });
      expect(v.lines[0].reason).toMatch(/UV flag/);
      expect(evaluate([line], { policy: policy({ ...STRICT, requireUserVerification: false }) }).lines[0].ok).toBe(true);
    });

    it('are refused without the UP flag when the policy requires presence', () => {
      const line = passkeyLine(passkey, { signer: 'erin@example.org', flags: 0x04 });
      expect(evaluate([line], { policy: policy(STRICT) }).lines[0].reason).toMatch(/UP flag/);
      expect(evaluate([line], { policy: policy({ ...STRICT, requireUserPresence: false }) }).lines[0].ok).toBe(true);
    });

    it('are refused from an origin the policy does not list', () => {
      const line = passkeyLine(passkey, { signer: 'erin@example.org', origin: 'https://phish.example.net' });
      const v = evaluate([line], { policy: policy(STRICT) });
      expect(v.lines[0].ok).toBe(false);
      expect(v.lines[0].reason).toMatch(/origin/);
      // origins not set: no passkey counts, and the reason names the line to add.
      const unset = evaluate([passkeyLine()], { policy: policy({ rpIds: ['sign.example.org'], threshold: 1 }) });
      expect(unset.lines[0]).toMatchObject({ ok: false, counted: false, status: 'invalid' });
      expect(unset.lines[0].reason).toBe(
        'passkey signatures count only from origins the policy names: add "origins": ["https://sign.example.org"] to .countersign/policy.json',
      );
    });

    it('are refused when the key belongs to an RP ID the policy does not list', () => {
      const line = passkeyLine(strayPasskey, { signer: 'frank@example.org', origin: 'https://evil.example.net' });
      const v = evaluate([line], { policy: policy({ rpIds: ['sign.example.org'], origins: ['https://evil.example.net'] }) });
      expect(v.lines[0]).toMatchObject({ ok: false, counted: false });
      expect(v.lines[0].reason).toMatch(/RP ID "evil\.example\.net"/);
    });

    it('never count under a policy that names no RP IDs and no origins (strict default), while SSH keys still do', () => {
      const v = evaluate([passkeyLine(), sshLine(bob, { signer: 'bob@example.org' })]);
      expect(v).toMatchObject({ count: 1, met: false, signers: ['bob@example.org'] });
      expect(v.lines[0]).toMatchObject({ signer: 'erin@example.org', ok: false, counted: false, status: 'invalid' });
      expect(v.lines[0].reason).toBe(
        'passkey and security-key signatures count only for RP IDs the policy names: add "rpIds": ["sign.example.org"] to .countersign/policy.json',
      );
    });

    it('count alongside SSH keys toward one threshold', () => {
      const v = evaluate([passkeyLine(), sshLine(bob, { signer: 'bob@example.org' })], { policy: policy(STRICT) });
      expect(v).toMatchObject({ count: 2, met: true, signers: ['erin@example.org', 'bob@example.org'] });
    });
  });

  describe('status: what each line really is', () => {
    const ginaPasskeyLine = (o: { flags?: number; origin?: string; commit?: string } = {}) =>
      passkeyLine(newPasskey, { signer: 'gina@example.org', ...o });

    it('counted, or not-counted for a good signature that does not count (author, repeat, key reused, other verdict)', () => {
      const v = evaluate(
        [
          sshLine(bob, { signer: 'bob@example.org' }),
          sshLine(ada, { signer: 'ada@example.org' }),
          sshLine(bob, { signer: 'bob@example.org', time: '2026-01-03T03:04:05Z' }),
          sshLine(carol, { signer: 'carol@example.org', verdict: 'reject' }),
        ],
        { allowedSigners },
      );
      expect(v.lines.map((l) => [l.signer, l.status, l.ok, l.counted])).toEqual([
        ['bob@example.org', 'counted', true, true],
        ['ada@example.org', 'not-counted', true, false],
        ['bob@example.org', 'not-counted', true, false],
        ['carol@example.org', 'not-counted', true, false],
      ]);
    });

    it('valid-untrusted for a good signature by a key the allowed_signers does not list, which counts once listed', () => {
      const lines = [sshLine(dave, { signer: 'dave@example.org' }), ginaPasskeyLine()];
      const v = evaluate(lines, { policy: policy({ rpIds: ['sign.example.org'], origins: ['https://sign.example.org'] }) });
      expect(v.lines.map((l) => [l.signer, l.status, l.ok, l.counted])).toEqual([
        ['dave@example.org', 'valid-untrusted', false, false],
        ['gina@example.org', 'valid-untrusted', false, false],
      ]);
      expect(v.lines[1].fingerprint).toMatch(/^SHA256:/);
      expect(v.lines[1].reason).toMatch(/gina@example\.org/);
      expect(v.count).toBe(0);

      // The maintainer lists both keys: the same lines now count, unchanged.
      const listed = parseAllowedSigners(
        `dave@example.org ${formatPublicKey(dave.sshKey)}\ngina@example.org ${formatPublicKey(newPasskey.sshKey)}\n`,
      );
      const after = evaluate(lines, { allowedSigners: listed, policy: policy({ rpIds: ['sign.example.org'], origins: ['https://sign.example.org'] }) });
      expect(after.lines.map((l) => l.status)).toEqual(['counted', 'counted']);
    });

    it('invalid, not valid-untrusted, when the unlisted key signed something else or the policy refuses it anyway', () => {
      const strict = policy({ rpIds: ['sign.example.org'], origins: ['https://sign.example.org'] });
      const cases: [string, RegExp][] = [
        [ginaPasskeyLine({ commit: OTHER_COMMIT }), /not the signed data of this message/], // another commit's statement
        [sshLine(dave, { signer: 'dave@example.org', namespace: 'git' }), /namespace/],
        [ginaPasskeyLine({ flags: 0x01 }), /UV flag/],
        [ginaPasskeyLine({ flags: 0x04 }), /UP flag/],
        [ginaPasskeyLine({ origin: 'https://phish.example.net' }), /origin/],
      ];
      const v = evaluate(cases.map(([l]) => l), { policy: strict });
      v.lines.forEach((l, i) => {
        expect(l).toMatchObject({ status: 'invalid', ok: false, counted: false });
        expect(l.reason).toMatch(cases[i][1]);
      });
      const stray = createPasskey({ rpId: 'evil.example.net' });
      const fromElsewhere = passkeyLine(stray, { signer: 'gina@example.org', origin: 'https://sign.example.org' });
      const w = evaluate([fromElsewhere], { policy: strict });
      expect(w.lines[0]).toMatchObject({ status: 'invalid' });
      expect(w.lines[0].reason).toMatch(/RP ID "evil\.example\.net"/);
    });

    it('invalid when the key is listed for someone else than the line claims, or outside its validity window', () => {
      const v = evaluate([sshLine(bob, { signer: 'mallory@example.org' })]);
      expect(v.lines[0]).toMatchObject({ status: 'invalid', ok: false });
      expect(v.lines[0].reason).toMatch(/listed for "bob@example\.org"/);

      const expired = parseAllowedSigners(`bob@example.org valid-before="20260101" ${formatPublicKey(bob.sshKey)}\n`);
      const e = evaluate([sshLine(bob, { signer: 'bob@example.org' })], { allowedSigners: expired });
      expect(e.lines[0]).toMatchObject({ status: 'invalid', ok: false });
      expect(e.lines[0].reason).toMatch(/expired/);
    });

    it('invalid for an unreadable line', () => {
      expect(evaluate(['countersign-v1 approve bob@example.org yesterday AAAA']).lines[0].status).toBe('invalid');
    });
  });

  it('with no lines, nothing is counted', () => {
    expect(evaluate([])).toMatchObject({ count: 0, met: false, signers: [], lines: [] });
  });

  describe('what a note may cost', () => {
    const strangers = Array.from({ length: 8 }, () => createSoftSshKey('ed25519'));
    const planted = (n: number) => Array.from({ length: n }, (_, i) => sshLine(strangers[i % 8], { signer: `x${i}@example.net`, time: `2026-01-0${1 + (i % 9)}T00:00:${String(i % 60).padStart(2, '0')}Z` }));

    it(`verifies at most ${NOTE_BUDGET.maxVerified} signatures, lines by listed keys first, and reports the rest "note too large"`, () => {
      const lines = [...planted(NOTE_BUDGET.maxVerified + 20), sshLine(bob, { signer: 'bob@example.org' }), sshLine(carol, { signer: 'carol@example.org' })];
      const v = evaluate(lines);
      expect(v).toMatchObject({ count: 2, met: true });
      const tooLarge = v.lines.filter((l) => l.reason?.startsWith('note too large'));
      expect(tooLarge).toHaveLength(22);
      expect(tooLarge.every((l) => l.status === 'invalid' && !l.counted)).toBe(true);
      expect(v.lines.filter((l) => l.status === 'valid-untrusted')).toHaveLength(NOTE_BUDGET.maxVerified - 2);
    });

    it(`reads at most ${NOTE_BUDGET.maxBytes / 1024} KiB of a note's lines`, () => {
      const one = planted(1)[0];
      const filler = Array.from({ length: Math.ceil(NOTE_BUDGET.maxBytes / one.length) + 1 }, () => one);
      const v = evaluate([...filler, sshLine(bob, { signer: 'bob@example.org' })], { policy: policy({ threshold: 1 }) });
      expect(v.met).toBe(false);
      expect(v.lines[v.lines.length - 1]).toMatchObject({ status: 'invalid', counted: false });
      expect(v.lines[v.lines.length - 1].reason).toMatch(/^note too large: only the first 1024 KiB/);
    });

    it('decides the same note once (cached), but not past an allowed_signers validity boundary', () => {
      evaluationCache.clear();
      const lines = [sshLine(bob, { signer: 'bob@example.org' })];
      const expiring = parseAllowedSigners(`bob@example.org valid-before="20260301" ${formatPublicKey(bob.sshKey)}\n`);
      const input = { allowedSigners: expiring, policy: policy({ threshold: 1 }) };
      expect(evaluate(lines, input).met).toBe(true);
      expect(evaluate(lines, input).met).toBe(true);
      expect(evaluationCache).toMatchObject({ hits: 1, misses: 1 });
      const later = evaluate(lines, { ...input, now: new Date('2026-03-02T00:00:00Z') });
      expect(later).toMatchObject({ met: false });
      expect(later.lines[0].reason).toMatch(/expired/);
      // Other exclusions are another verdict.
      expect(evaluate(lines, { ...input, exclusions: writtenBy('bob@example.org') }).met).toBe(false);
    });
  });
});
