/**
 * Test harness for the app service: a fresh data dir per test file with the embedded demo
 * repository, the app opened on it, and a software passkey driven through the real WebAuthn
 * ceremonies (@simplewebauthn/server verification, no shortcuts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openApp, type App } from '../../lib/server/app';
import { approveOptions, approveVerify } from '../../lib/server/approve';
import type { UserView } from '../../lib/server/types';
import { createInvite } from '../../lib/auth/invites';
import { loginOptions, registrationOptions, verifyLogin, verifyRegistration } from '../../lib/auth/webauthn';
import { loadConfig, type Config } from '../../lib/config/config';
import { createPasskey, getAssertion, toAuthenticationResponseJSON, toRegistrationResponseJSON, type AssertionOptions, type SoftPasskey } from '../support/soft-authenticator';

const execFileP = promisify(execFile);

export const ORIGIN = 'http://localhost:3000';

export async function gitIn(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileP('git', args, {
    cwd,
    env: { ...process.env, GIT_AUTHOR_NAME: 'Max Maintainer', GIT_AUTHOR_EMAIL: 'max@example.org', GIT_COMMITTER_NAME: 'Max Maintainer', GIT_COMMITTER_EMAIL: 'max@example.org' },
  });
  return stdout;
}

export interface Harness {
  root: string;
  config: Config;
  app: App;
  remote: string;
  /** Demo commits on main, oldest first. */
  commits: string[];
  close(): Promise<void>;
}

export async function startHarness(opts: { env?: Record<string, string>; retryMs?: number; maxRetryMs?: number } = {}): Promise<Harness> {
  const root = await mkdtemp(path.join(tmpdir(), 'cs-app-'));
  const config = loadConfig({ env: { COUNTERSIGN_DATA_DIR: path.join(root, 'data'), PORT: '3000', ...opts.env }, cwd: root });
  const app = await openApp(config, { log: () => {}, retryMs: opts.retryMs ?? 200, ...(opts.maxRetryMs ? { maxRetryMs: opts.maxRetryMs } : {}) });
  // The server's clones are made in the background (lib/server/repos.ts); these tests start cloned.
  await Promise.all([...app.repos.values()].map((r) => r.ready()));
  const remote = path.join(config.dataDir, 'demo-remote.git');
  const commits = (await gitIn(remote, 'rev-list', '--reverse', 'main')).trim().split('\n');
  const h: Harness = {
    root,
    config,
    app,
    remote,
    commits,
    async close() {
      await h.app.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return h;
}

export interface Enrolled {
  user: UserView;
  passkey: SoftPasskey;
  deviceId: string;
  allowedSignersLine: string;
}

/** Invite → registration options → software passkey → verified registration. */
export async function enroll(app: App, email: string, opts: { admin?: boolean; origin?: string } = {}): Promise<Enrolled> {
  const invite = await createInvite(app, email, { admin: opts.admin });
  const options = await registrationOptions(app, { inviteToken: invite.token, viewer: null });
  const passkey = createPasskey({ rpId: app.config.rpId, userHandle: new Uint8Array(Buffer.from(options.user.id, 'base64url')) });
  const response = toRegistrationResponseJSON(passkey, { challenge: options.challenge, origin: opts.origin ?? ORIGIN });
  const { user, device } = await verifyRegistration(app, { inviteToken: invite.token, response: response as any, viewer: null });
  return { user, passkey, deviceId: device.id, allowedSignersLine: device.allowedSignersLine };
}

export async function signIn(app: App, passkey: SoftPasskey, o: Partial<AssertionOptions> = {}) {
  const options = await loginOptions(app);
  const a = getAssertion(passkey, { challenge: new Uint8Array(Buffer.from(options.challenge, 'base64url')), origin: ORIGIN, ...o });
  return verifyLogin(app, toAuthenticationResponseJSON(a) as any);
}

/** The app's approve ceremony with a software passkey; `o` tweaks the assertion for negative cases. */
export async function approve(
  app: App,
  viewer: UserView,
  passkey: SoftPasskey,
  commit: string,
  o: Partial<AssertionOptions> & { repo?: string; verifyCommit?: string; verifyViewer?: UserView } = {},
) {
  const { repo = 'demo', verifyCommit, verifyViewer, ...assertion } = o;
  const opts = await approveOptions(app, viewer, repo, commit, { verdict: 'approve' });
  const a = getAssertion(passkey, { challenge: new Uint8Array(Buffer.from(opts.options.challenge, 'base64url')), origin: ORIGIN, ...assertion });
  const result = await approveVerify(app, verifyViewer ?? viewer, repo, verifyCommit ?? commit, {
    approvalId: opts.approvalId,
    response: toAuthenticationResponseJSON(a) as any,
  });
  return { opts, result };
}

/** Adds allowed_signers lines on the remote's main (as a maintainer would), so approvals count. */
export async function trustOnRemote(h: Harness, lines: string[]): Promise<void> {
  const work = await mkdtemp(path.join(h.root, 'trust-'));
  await gitIn(h.root, 'clone', '--quiet', h.remote, work);
  const file = path.join(work, '.countersign', 'allowed_signers');
  const { readFile } = await import('node:fs/promises');
  await writeFile(file, (await readFile(file, 'utf8')) + lines.join('\n') + '\n');
  await gitIn(work, 'add', '.countersign/allowed_signers');
  await gitIn(work, 'commit', '--quiet', '-m', 'Trust reviewers');
  await gitIn(work, 'push', '--quiet', 'origin', 'main');
  await rm(work, { recursive: true, force: true });
  await h.app.repo('demo').refresh({ maxAgeMs: 0 });
}

/** Note lines on a commit as the bare remote has them. */
export async function remoteNoteLines(remote: string, commit: string, ref = 'refs/notes/countersign'): Promise<string[]> {
  try {
    return (await gitIn(remote, 'notes', `--ref=${ref}`, 'show', commit)).split('\n').filter((l) => l.startsWith('countersign-v1 ') || l.startsWith('countersign-v2 '));
  } catch {
    return [];
  }
}
