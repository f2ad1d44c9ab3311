import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatPublicKey } from '../ssh/public-key';
import { createSoftSshKey, softSshSig } from '../../tests/support/soft-authenticator';
import { makeTempDir, sshKeygenVerify } from '../../tests/support/ssh-keygen';
import { armorSshSig } from '../sshsig/format';
import { formatAbsoluteTimeUtc, parseAbsoluteTime } from './time';

describe('allowed_signers times (parse_absolute_time)', () => {
  it.each([
    ['20260102Z', Date.UTC(2026, 0, 2)],
    ['202601021530Z', Date.UTC(2026, 0, 2, 15, 30)],
    ['20260102153045z', Date.UTC(2026, 0, 2, 15, 30, 45)],
    ['20260102153045UTC', Date.UTC(2026, 0, 2, 15, 30, 45)],
    ['20260102153045utc', Date.UTC(2026, 0, 2, 15, 30, 45)],
    ['20260231Z', Date.UTC(2026, 2, 3)], // mktime/timegm normalise 31 February
    ['20261231235960Z', Date.UTC(2027, 0, 1)], // second 60 is accepted by strptime
  ])('%s', (s, ms) => {
    expect(parseAbsoluteTime(s)).toBe(ms / 1000);
  });

  it.each(['2026010', '202601021', '2026-01-02', '20261301', '20260100', '20260102240000', '20260102126000', 'Z', '19691231Z', 'abcdefgh'])(
    'refuses %s',
    (s) => {
      expect(parseAbsoluteTime(s)).toBeNull();
    },
  );

  it('formats UTC so that it parses back', () => {
    const t = Date.UTC(2026, 5, 1, 8, 9, 10) / 1000;
    expect(formatAbsoluteTimeUtc(t)).toBe('20260601080910Z');
    expect(parseAbsoluteTime(formatAbsoluteTimeUtc(t))).toBe(t);
  });
});

describe('local times agree with ssh-keygen to the second in zones with daylight saving', () => {
  const tmp = makeTempDir();
  afterAll(async () => (await tmp).cleanup());
  const key = createSoftSshKey('ed25519');
  const message = new TextEncoder().encode('m');
  const sig = armorSshSig(softSshSig(key, { message, namespace: 'ns' }));
  const repoRoot = path.resolve(import.meta.dirname, '../..');

  it.each([
    ['Europe/Berlin', '20260115120000'],
    ['Europe/Berlin', '20260715120000'],
    ['America/New_York', '20260715083000'],
  ])('%s %s', async (tz, local) => {
    // Our parse, in a process running in that zone.
    const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('./lib/allowed-signers/time.ts').then(m => console.log(m.parseAbsoluteTime(${JSON.stringify(local)})))`], {
      cwd: repoRoot,
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
    });
    const ours = Number(out.stdout.trim());
    expect(Number.isInteger(ours), out.stderr).toBe(true);
    // ssh-keygen, in the same zone: valid-before is inclusive, so ours is the last good second.
    const as = `alice valid-before="${local}" ${formatPublicKey(key.sshKey)}\n`;
    const v = (t: number) =>
      tmp.then(({ dir }) =>
        sshKeygenVerify(dir, { allowedSigners: as, identity: 'alice', namespace: 'ns', signature: sig, message, verifyTime: formatAbsoluteTimeUtc(t), env: { TZ: tz } }),
      );
    expect((await v(ours)).ok).toBe(true);
    expect((await v(ours + 1)).ok).toBe(false);
  });
});
