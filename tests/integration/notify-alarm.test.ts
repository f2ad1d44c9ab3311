/**
 * The alarm: whenever the server learns of a new note line made with one of a user's keys — its
 * own approvals, or lines the CLI or other instances pushed, seen after the server's next fetch —
 * all that user's devices are notified, once (not again after a restart or on another instance),
 * and only for signatures that verify (a line that copies someone's key does not set it off).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../lib/auth/sessions';
import { openApp } from '../../lib/server/app';
import { notifierOf } from '../../lib/notify';
import { subscribe } from '../../lib/notify/api';
import { seenRefFor } from '../../lib/notify/new-lines';
import { signaturesOf } from '../../lib/server/my-signatures';
import { runCli } from '../support/cli';
import { makeKey, makeTempDir, type KeygenKey } from '../support/ssh-keygen';
import { approve, enroll, gitIn, startHarness, trustOnRemote, type Enrolled, type Harness } from './app-harness';
import { startPushService, subscriptionJson, type PushService } from './notify-push-service';

const NAMESPACE = 'countersign-review@countersign.dev';
let h: Harness;
let push: PushService;
let bob: Enrolled;
let ann: Enrolled;
let bobKey: KeygenKey;
let keys: { dir: string; cleanup: () => Promise<void> };
let clone: string; // another clone of the remote: Bob's laptop

const alarms = (path: string) => push.received.filter((r) => r.path === path && r.payload.kind === 'signature-alarm');
const notifier = () => notifierOf(h.app)!;

async function subscribeBrowser(u: Enrolled, name: string) {
  const token = await createSession(h.app, u.user.id, u.deviceId);
  await subscribe(h.app, u.user, token, subscriptionJson(push.subscription(name)));
}

beforeAll(async () => {
  h = await startHarness();
  push = await startPushService();
  keys = await makeTempDir('cs-alarm-keys-');
  bobKey = await makeKey(keys.dir, 'ed25519', 'bob');
  bob = await enroll(h.app, 'bob@example.org');
  ann = await enroll(h.app, 'ann@example.org');
  // Bob's laptop key is listed for him in the repository's allowed_signers, next to his passkey.
  await trustOnRemote(h, [`bob@example.org namespaces="${NAMESPACE}" ${bobKey.publicKeyText}`, bob.allowedSignersLine, ann.allowedSignersLine]);
  await subscribeBrowser(bob, 'bob-phone');
  await subscribeBrowser(bob, 'bob-tablet');
  await subscribeBrowser(ann, 'ann-phone');
  clone = await mkdtemp(path.join(h.root, 'laptop-'));
  await gitIn(h.root, 'clone', '--quiet', h.remote, clone);
  await notifier().idle();
});
afterAll(async () => {
  await h?.close();
  await push?.close();
  await keys?.cleanup();
});

describe('the alarm', () => {
  it('a signature made with `countersign sign` and pushed by another clone reaches all the key owner’s devices after the next fetch', async () => {
    const commit = h.commits[2];
    const signed = await runCli(['sign', '--repo', clone, '--key', bobKey.privatePath, '--identity', 'bob@example.org', commit]);
    expect(signed.code, signed.stderr).toBe(0);
    await notifier().idle();
    expect(alarms('/push/bob-phone')).toEqual([]); // the server has not fetched yet
    await h.app.repo('demo').refresh({ maxAgeMs: 0 });
    await push.waitFor(() => alarms('/push/bob-phone').length === 1 && alarms('/push/bob-tablet').length === 1);
    await notifier().idle();
    expect(push.problems).toEqual([]);
    const line = (await gitIn(h.remote, 'notes', '--ref=refs/notes/countersign', 'show', commit)).trim();
    const time = line.split(' ')[3]; // countersign-v1 approve bob@example.org <time> <sig>
    const fp = bobKey.key ? (await import('../../lib/ssh/public-key')).fingerprintSha256(bobKey.key) : '';
    expect(alarms('/push/bob-phone')[0].payload).toEqual({
      v: 1,
      kind: 'signature-alarm',
      title: 'A signature was made with your key',
      body: `Your key ${fp.slice(0, 17)}… approved demo ${commit.slice(0, 7)} at ${time.slice(11, 16)} UTC (${time.slice(0, 10)}). Not you? Revoke that device and tell the project.`,
      url: `/r/demo/${commit}`,
      tag: `alarm:demo:${commit}:${time}`,
    });
    expect(alarms('/push/ann-phone')).toEqual([]); // not Ann's key
    // "Your signatures" lists it too, read from the notes, with the key that made it.
    const mine = await signaturesOf(h.app, bob.user);
    expect(mine.items).toEqual([{ repo: 'demo', commit, verdict: 'approve', time, device: `SSH key ${fp}`, fingerprint: fp }]);
    expect((await signaturesOf(h.app, ann.user)).items).toEqual([]);
  });

  it("the app's own approval with a passkey alarms at once, naming the device", async () => {
    await approve(h.app, bob.user, bob.passkey, h.commits[3]);
    await push.waitFor(() => alarms('/push/bob-phone').length === 2);
    await notifier().idle();
    const last = alarms('/push/bob-phone')[1].payload;
    expect(last.body).toMatch(new RegExp(`^Your passkey "Passkey" approved demo ${h.commits[3].slice(0, 7)} at \\d\\d:\\d\\d UTC`));
    // The next fetch sees that line in the notes again: no second alarm.
    await h.app.repo('demo').refresh({ maxAgeMs: 0 });
    await notifier().idle();
    expect(alarms('/push/bob-phone')).toHaveLength(2);
    expect(alarms('/push/ann-phone')).toEqual([]);
  });

  it('a line seen again (another instance, a rescan) is not alarmed twice: what was sent is in the database', async () => {
    const dir = h.app.repo('demo').dir;
    const seen = seenRefFor('refs/notes/countersign');
    const tip = (await gitIn(dir, 'rev-parse', seen)).trim();
    const root = (await gitIn(dir, 'rev-list', '--max-parents=0', tip)).trim().split('\n')[0];
    await gitIn(dir, 'update-ref', seen, `${root}^{tree}`); // back to the first notes: every later line is "new" again
    await h.app.repo('demo').refresh({ maxAgeMs: 0 });
    await notifier().idle();
    expect((await gitIn(dir, 'rev-parse', seen)).trim()).not.toBe(root); // it did rescan
    expect(alarms('/push/bob-phone')).toHaveLength(2);
  });

  it('a copied line that does not verify (Bob’s signature pasted onto another commit) sets off nothing', async () => {
    await gitIn(clone, 'fetch', '--quiet', 'origin', '+refs/notes/countersign:refs/notes/countersign');
    const line = (await gitIn(clone, 'notes', '--ref=refs/notes/countersign', 'show', h.commits[2])).trim();
    await gitIn(clone, 'notes', '--ref=refs/notes/countersign', 'append', '-m', line, h.commits[1]);
    await gitIn(clone, 'push', '--quiet', 'origin', 'refs/notes/countersign');
    await h.app.repo('demo').refresh({ maxAgeMs: 0 });
    await notifier().idle();
    expect(alarms('/push/bob-phone')).toHaveLength(2);
  });

  it('lines that arrive while the server is down are alarmed at the next start, and only those', async () => {
    await h.app.close();
    const signed = await runCli(['sign', '--repo', clone, '--key', bobKey.privatePath, '--identity', 'bob@example.org', h.commits[0]]);
    expect(signed.code, signed.stderr).toBe(0);
    h.app = await openApp(h.config, { log: () => {} });
    notifier().sender.retryBaseMs = 50;
    await push.waitFor(() => alarms('/push/bob-phone').length === 3);
    await notifier().idle();
    expect(alarms('/push/bob-phone').map((a) => a.payload.url)).toEqual([`/r/demo/${h.commits[2]}`, `/r/demo/${h.commits[3]}`, `/r/demo/${h.commits[0]}`]);
    expect(alarms('/push/bob-tablet')).toHaveLength(3);
    expect(alarms('/push/ann-phone')).toEqual([]);
  });
});

afterAll(async () => {
  await rm(clone, { recursive: true, force: true }).catch(() => {});
});
