import { describe, expect, it } from 'vitest';
import { CountersignError } from '../errors';
import { DEFAULT_NAMESPACE } from '../statement/statement';
import { parsePolicy } from './policy';

const parse = (obj: unknown) => parsePolicy(JSON.stringify(obj), 'policy.json at origin/main');

function refusal(obj: unknown, raw = false): CountersignError {
  try {
    raw ? parsePolicy(obj as string, 'policy.json at origin/main') : parse(obj);
  } catch (e) {
    expect(e).toBeInstanceOf(CountersignError);
    expect((e as CountersignError).code).toBe('bad-policy');
    expect((e as Error).message).toMatch(/^policy\.json at origin\/main: /);
    return e as CountersignError;
  }
  throw new Error('expected the policy to be refused');
}

describe('parsePolicy', () => {
  it('needs only repository and threshold; every default is the stricter choice', () => {
    expect(parse({ repository: 'acme/widgets', threshold: 2 })).toEqual({
      repository: 'acme/widgets',
      threshold: 2,
      namespace: DEFAULT_NAMESPACE,
      excludeAuthor: true,
      requireSignedCommits: false,
      requireUserVerification: true,
      requireUserPresence: true,
      rpIds: null,
      origins: null,
      notesRef: 'refs/notes/countersign',
    });
  });

  it('takes every documented option', () => {
    const p = parse({
      repository: 'demo',
      threshold: 1,
      excludeAuthor: false,
      requireSignedCommits: true,
      requireUserVerification: false,
      requireUserPresence: false,
      rpIds: ['sign.example.org', 'localhost'],
      origins: ['https://sign.example.org', 'http://localhost:3000'],
      namespace: 'review@example.org',
      notesRef: 'refs/notes/approvals',
    });
    expect(p).toMatchObject({
      excludeAuthor: false,
      requireSignedCommits: true,
      requireUserVerification: false,
      requireUserPresence: false,
      rpIds: ['sign.example.org', 'localhost'],
      origins: ['https://sign.example.org', 'http://localhost:3000'],
      namespace: 'review@example.org',
      notesRef: 'refs/notes/approvals',
    });
    expect(parse({ repository: 'demo', threshold: 1, rpIds: ['ssh:'] }).rpIds).toEqual(['ssh:']); // a security key made by ssh-keygen
  });

  it('refuses an unknown key, so a misspelt option cannot weaken the policy', () => {
    const e = refusal({ repository: 'demo', threshold: 2, requireUserVerificaton: false });
    expect(e.message).toContain('"requireUserVerificaton"');
  });

  it('names the missing or wrong field', () => {
    expect(refusal({ threshold: 2 }).message).toContain('"repository"');
    expect(refusal({ repository: 'demo' }).message).toContain('"threshold"');
    expect(refusal({ repository: 'demo', threshold: 0 }).message).toContain('"threshold"');
    expect(refusal({ repository: 'demo', threshold: 1.5 }).message).toContain('"threshold"');
    expect(refusal({ repository: 'demo', threshold: '2' }).message).toContain('"threshold"');
    expect(refusal({ repository: 'has space', threshold: 2 }).message).toContain('"repository"');
    expect(refusal({ repository: 'demo', threshold: 2, excludeAuthor: 'yes' }).message).toContain('"excludeAuthor"');
    expect(refusal({ repository: 'demo', threshold: 2, requireSignedCommits: 1 }).message).toContain('"requireSignedCommits"');
    expect(refusal({ repository: 'demo', threshold: 2, rpIds: [] }).message).toContain('"rpIds"');
    expect(refusal({ repository: 'demo', threshold: 2, rpIds: ['https://x.org'] }).message).toContain('"rpIds"');
    expect(refusal({ repository: 'demo', threshold: 2, origins: ['https://x.org/'] }).message).toContain('"origins"');
    expect(refusal({ repository: 'demo', threshold: 2, origins: ['ftp://x.org'] }).message).toContain('"origins"');
    expect(refusal({ repository: 'demo', threshold: 2, notesRef: 'refs/heads/main' }).message).toContain('"notesRef"');
    expect(refusal({ repository: 'demo', threshold: 2, notesRef: 'refs/notes/a..b' }).message).toContain('"notesRef"');
    expect(refusal({ repository: 'demo', threshold: 2, namespace: '' }).message).toContain('"namespace"');
  });

  it('refuses the git namespace: an approval must never pass for a commit signature', () => {
    expect(refusal({ repository: 'demo', threshold: 2, namespace: 'git' }).message).toMatch(/must not be "git"/);
  });

  it('refuses text that is not a JSON object', () => {
    expect(refusal('{"repository": "demo", threshold: 2}', true).message).toMatch(/not valid JSON/);
    expect(refusal('[1,2]', true).message).toMatch(/JSON object/);
    expect(refusal('null', true).message).toMatch(/JSON object/);
    expect(refusal('', true).message).toMatch(/not valid JSON/);
  });
});
