/**
 * Server-side approval latency: approveVerify (WebAuthn verification, SSHSIG packaging and
 * re-verification, note write to the server's clone, push to a local bare remote, policy
 * re-evaluation), p50/p99 at 1 and at 20 concurrent approvals — beside the floor: a bare
 * `git notes add` + `git push` to the same kind of remote, measured in the same run.
 *
 *   npx tsx bench/approve-latency.ts [--sequential N] [--rounds R]
 *
 * The passkey ceremony itself (options, the browser, the authenticator) is outside the timing:
 * each assertion is prepared first, then only the server's handling of it is measured.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { openApp } from '../lib/server/app';
import { approveOptions, approveVerify } from '../lib/server/approve';
import type { UserView } from '../lib/server/types';
import { createInvite } from '../lib/auth/invites';
import { registrationOptions, verifyRegistration } from '../lib/auth/webauthn';
import { loadConfig } from '../lib/config/config';
import { gitProcessStats } from '../lib/git/run';
import { createPasskey, getAssertion, toAuthenticationResponseJSON, toRegistrationResponseJSON, type SoftPasskey } from '../tests/support/soft-authenticator';

const execFileP = promisify(execFile);
const ORIGIN = 'http://localhost:3000';
const IDENT = { GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.org', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.org' };

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const SEQUENTIAL = arg('sequential', 60);
const ROUNDS = arg('rounds', 10);
const CONCURRENCY = 20;

const git = async (cwd: string, ...args: string[]) => (await execFileP('git', args, { cwd, env: { ...process.env, ...IDENT }, maxBuffer: 64 << 20 })).stdout;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main() {
  const root = await mkdtemp(path.join(tmpdir(), 'cs-bench-'));
  const log = (s: string) => process.stderr.write(s + '\n');
  try {
    const config = loadConfig({ env: { COUNTERSIGN_DATA_DIR: path.join(root, 'data'), PORT: '3000' }, cwd: root });
    const app = await openApp(config, { log: () => {} });
    const remote = path.join(config.dataDir, 'demo-remote.git');

    // Enough commits that every approval is a new (signer, commit) pair.
    const needed = SEQUENTIAL + ROUNDS + 10;
    log(`preparing ${needed} commits and ${CONCURRENCY} enrolled users…`);
    const work = path.join(root, 'work');
    await git(root, 'clone', '--quiet', remote, work);
    const fi = ['reset refs/heads/main', `from ${(await git(work, 'rev-parse', 'HEAD')).trim()}`];
    let stream = '';
    for (let i = 0; i < needed; i++) {
      stream += `commit refs/heads/main\ncommitter Bench <bench@example.org> ${1767225600 + i} +0000\ndata <<EOM\nbench change ${i}\nEOM\n`;
      stream += `M 100644 inline bench/file-${i % 20}.txt\ndata <<EOM\nline ${i}\nEOM\n\n`;
    }
    await new Promise<void>((resolve, reject) => {
      const child = execFile('git', ['fast-import', '--quiet'], { cwd: work }, (e) => (e ? reject(e) : resolve()));
      child.stdin!.end(`${fi[0]}\n${fi[1]}\n\n` + stream);
    });
    await git(work, 'push', '--quiet', 'origin', 'main');
    const commits = (await git(work, 'rev-list', '--reverse', 'main')).trim().split('\n').slice(-needed);
    await app.repo('demo').refresh({ maxAgeMs: 0 });

    const users: { user: UserView; passkey: SoftPasskey }[] = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      const invite = await createInvite(app, `reviewer${i}@example.org`);
      const options = await registrationOptions(app, { inviteToken: invite.token, viewer: null });
      const passkey = createPasskey({ rpId: 'localhost', userHandle: new Uint8Array(Buffer.from(options.user.id, 'base64url')) });
      const response = toRegistrationResponseJSON(passkey, { challenge: options.challenge, origin: ORIGIN });
      const { user } = await verifyRegistration(app, { inviteToken: invite.token, response: response as any, viewer: null });
      users.push({ user, passkey });
    }

    async function prepared(u: (typeof users)[number], commit: string) {
      const opts = await approveOptions(app, u.user, 'demo', commit, { verdict: 'approve' });
      const a = getAssertion(u.passkey, { challenge: new Uint8Array(Buffer.from(opts.options.challenge, 'base64url')), origin: ORIGIN });
      return { approvalId: opts.approvalId, response: toAuthenticationResponseJSON(a) as any };
    }
    async function timed(u: (typeof users)[number], commit: string, req: Awaited<ReturnType<typeof prepared>>): Promise<number> {
      const t0 = performance.now();
      const r = await approveVerify(app, u.user, 'demo', commit, req);
      const ms = performance.now() - t0;
      if (r.status !== 'published') throw new Error(`expected published, got ${r.status}`);
      return ms;
    }

    // Warm-up (JIT, git's first runs).
    for (let i = 0; i < 3; i++) await timed(users[1], commits[needed - 1 - i], await prepared(users[1], commits[needed - 1 - i]));

    // The floor: one `git notes add` + one `git push` per note, from a plain clone to the same
    // remote (its own notes ref). Samples alternate with the app's, so both see the same machine load.
    const floorClone = path.join(root, 'floor');
    await git(root, 'clone', '--quiet', remote, floorClone);
    const sampleLine = `countersign-v1 approve reviewer@example.org 2026-01-01T00:00:00Z ${'A'.repeat(900)}`;
    const floorSplit = { notes: [] as number[], push: [] as number[] };
    async function floorOnce(commit: string, append = false): Promise<void> {
      const t0 = performance.now();
      await git(floorClone, 'notes', '--ref=floor', append ? 'append' : 'add', '-m', sampleLine + Math.random(), commit);
      const t1 = performance.now();
      await git(floorClone, 'push', '--quiet', 'origin', 'refs/notes/floor');
      if (!append) {
        floorSplit.notes.push(t1 - t0);
        floorSplit.push.push(performance.now() - t1);
      }
    }

    // 1 at a time. Git processes the server starts per approval are counted here (nothing else
    // runs meanwhile); the floor's own are fixed: one `git notes add`, one `git push`.
    const seq: number[] = [];
    const floor: number[] = [];
    const perCommand: Record<string, number> = {};
    const msPerCommand: Record<string, number> = {};
    let processes = 0;
    for (let i = 0; i < SEQUENTIAL; i++) {
      const req = await prepared(users[0], commits[i]);
      const before = { spawned: gitProcessStats.spawned, byCommand: { ...gitProcessStats.byCommand }, ms: { ...gitProcessStats.msByCommand } };
      seq.push(await timed(users[0], commits[i], req));
      processes += gitProcessStats.spawned - before.spawned;
      for (const [k, n] of Object.entries(gitProcessStats.byCommand)) perCommand[k] = (perCommand[k] ?? 0) + n - (before.byCommand[k] ?? 0);
      for (const [k, ms] of Object.entries(gitProcessStats.msByCommand)) msPerCommand[k] = (msPerCommand[k] ?? 0) + ms - (before.ms[k] ?? 0);
      const t0 = performance.now();
      await floorOnce(commits[i]);
      floor.push(performance.now() - t0);
    }

    // 20 at once, ROUNDS times: every reviewer approves the same commit simultaneously. The floor
    // for that: without batching, one clone adds and pushes each note in turn, so the k-th of 20
    // simultaneous approvals waits for k add+push cycles.
    const conc: number[] = [];
    const floorConc: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const commit = commits[SEQUENTIAL + r];
      const reqs = await Promise.all(users.map((u) => prepared(u, commit)));
      conc.push(...(await Promise.all(users.map((u, i) => timed(u, commit, reqs[i])))));
      const t0 = performance.now();
      for (let i = 0; i < CONCURRENCY; i++) {
        await floorOnce(commit, true);
        floorConc.push(performance.now() - t0);
      }
    }
    const lines = (await git(remote, 'notes', '--ref=countersign', 'list')).trim().split('\n').length;
    await app.close();

    const p50 = pct(seq, 50);
    const f50 = pct(floor, 50);
    const out = [
      `approval latency, server side (verify + write + push to a local bare remote), ${new Date().toISOString()}`,
      `node ${process.version}, ${(await git(root, '--version')).trim()}, embedded PGlite`,
      '',
      `  countersign, 1 at a time                        n=${String(seq.length).padStart(3)}  p50 ${fmt(p50).padStart(9)}  p99 ${fmt(pct(seq, 99)).padStart(9)}`,
      `  countersign, ${CONCURRENCY} at once                       n=${String(conc.length).padStart(3)}  p50 ${fmt(pct(conc, 50)).padStart(9)}  p99 ${fmt(pct(conc, 99)).padStart(9)}`,
      `  floor, 1 at a time: git notes add + git push   n=${String(floor.length).padStart(3)}  p50 ${fmt(f50).padStart(9)}  p99 ${fmt(pct(floor, 99)).padStart(9)}`,
      `  floor, ${CONCURRENCY} at once: the same, one after another n=${String(floorConc.length).padStart(3)}  p50 ${fmt(pct(floorConc, 50)).padStart(9)}  p99 ${fmt(pct(floorConc, 99)).padStart(9)}`,
      '',
      `  p50 / floor p50: 1 at a time ${(p50 / f50).toFixed(2)}x, ${CONCURRENCY} at once ${(pct(conc, 50) / pct(floorConc, 50)).toFixed(2)}x  (target ≤ 1.5x)`,
      `  ${CONCURRENCY} at once: ${(conc.length / ROUNDS).toFixed(0)} approvals per round; notes on the remote afterwards: ${lines} commits`,
      `  git processes started by the server per approval (1 at a time): ${(processes / SEQUENTIAL).toFixed(2)} — ` +
        Object.entries(perCommand)
          .filter(([, n]) => n > 0)
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${k} ${(n / SEQUENTIAL).toFixed(2)} (${fmt(msPerCommand[k] / n)} each)`)
          .join(', ') +
        ` (floor: git notes p50 ${fmt(pct(floorSplit.notes, 50))}, git push p50 ${fmt(pct(floorSplit.push, 50))})`,
    ];
    console.log(out.join('\n'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
