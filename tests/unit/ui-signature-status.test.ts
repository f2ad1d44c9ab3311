import { describe, expect, it } from 'vitest';
import { parseAllowedSigners } from '../../lib/allowed-signers';
import { signatureViews } from '../../lib/server/review';
import { evaluateLines } from '../../lib/gate/evaluate';
import { formatNoteLine } from '../../lib/notes/line';
import { parsePolicy } from '../../lib/policy/policy';
import { formatPublicKey } from '../../lib/ssh/public-key';
import { DEFAULT_NAMESPACE, statementBytes } from '../../lib/statement/statement';
import { presentSignature } from '../../lib/ui/signature-status';
import { createPasskey, passkeySshSig } from '../support/soft-authenticator';

const REPO = 'demo';
const COMMIT = 'a'.repeat(40);
const TREE = 'b'.repeat(40);
const TIME = '2026-01-02T03:04:05Z';
const ORIGIN = 'https://sign.example.org';

const trusted = createPasskey({ rpId: 'sign.example.org' });
const newcomer = createPasskey({ rpId: 'sign.example.org' });
const author = createPasskey({ rpId: 'sign.example.org' });

function line(pk: typeof trusted, signer: string, o: { flags?: number; time?: string } = {}): string {
  const time = o.time ?? TIME;
  const message = statementBytes({ repository: REPO, commit: COMMIT, tree: TREE, verdict: 'approve', signer, time });
  const { sshsig } = passkeySshSig(pk, { message, namespace: DEFAULT_NAMESPACE, origin: ORIGIN, ...(o.flags !== undefined ? { flags: o.flags } : {}) });
  return formatNoteLine({ verdict: 'approve', signer, time, signature: sshsig });
}

/** The lines as the review page receives them: gate verdicts mapped onto the view model. */
function reviewLines(lines: string[]) {
  const allowedSigners = parseAllowedSigners(
    `bob@example.org ${formatPublicKey(trusted.sshKey)}\nada@example.org ${formatPublicKey(author.sshKey)}\n`,
  );
  const verdict = evaluateLines({
    lines,
    repository: REPO,
    commit: COMMIT,
    tree: TREE,
    exclusions: [{ email: 'ada@example.org', role: 'author', commit: COMMIT, verified: false }],
    policy: parsePolicy(JSON.stringify({ repository: REPO, threshold: 2, rpIds: ['sign.example.org'], origins: [ORIGIN] })),
    allowedSigners,
    now: new Date('2026-02-01T00:00:00Z'),
  });
  return signatureViews({ commit: COMMIT, tree: TREE, author: 'ada@example.org', ...verdict });
}

describe('signature lines on the review page', () => {
  it('tell a good signature by an untrusted key apart from one that does not verify', () => {
    const views = reviewLines([
      line(trusted, 'bob@example.org'),
      line(trusted, 'bob@example.org', { time: '2026-01-03T03:04:05Z' }),
      line(author, 'ada@example.org'),
      line(newcomer, 'nina@example.org'),
      line(newcomer, 'nina@example.org', { flags: 0x01, time: '2026-01-04T03:04:05Z' }),
    ]);
    const shown = views.map((v) => [v.signer, presentSignature(v).tone, presentSignature(v).label]);
    expect(shown).toEqual([
      ['bob@example.org', 'ok', 'Counted'],
      ['bob@example.org', 'neutral', 'Valid signature — does not count'],
      ['ada@example.org', 'neutral', 'Valid signature — does not count'],
      ['nina@example.org', 'warn', 'Valid signature — key not in allowed_signers (does not count)'],
      ['nina@example.org', 'bad', 'Does not verify'],
    ]);
    // Each line says why it does not count, and only the real failure wears the red ✕.
    expect(views[1].reason).toMatch(/already counted/);
    expect(views[2].reason).toMatch(/author/);
    expect(views[4].reason).toMatch(/UV flag/);
    expect(views.map((v) => presentSignature(v).icon)).toEqual(['✓', '–', '–', '!', '✕']);
  });

  it('reads reviews saved offline before lines had a status as they were shown then', () => {
    expect(presentSignature({ ok: true, counted: true }).status).toBe('counted');
    expect(presentSignature({ ok: true, counted: false }).status).toBe('not-counted');
    expect(presentSignature({ ok: false, counted: false }).status).toBe('invalid');
  });
});
