/**
 * Several instances, one service, when instances start together and die: one first admin whichever
 * starts first, and under load with one instance killed (SIGKILL) and the clients retrying on
 * another, every answered approval reaches the remote as exactly one line.
 */
import { rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteNoteLines } from './app-harness';
import {
  approveAcross,
  enrollAcross,
  sleep,
  startCluster,
  startService,
  type Client,
  type Cluster,
  type Instance,
  type Service,
} from './instances-harness';

let cluster: Cluster;
const services: Service[] = [];

beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);

afterAll(async () => {
  if (process.env.INSTANCES_DEBUG) for (const s of services) for (const i of s.instances) console.error(`--- ${i?.name}\n${i?.output()}`);
  for (const s of services) await s.close();
  await cluster?.stop();
});

/** A test's service is stopped as soon as it passed (a failed one is kept for the debug output). */
async function done(svc: Service): Promise<void> {
  services.splice(services.indexOf(svc), 1);
  await svc.close();
}

const skip = () => (cluster.skipReason ? cluster.skipReason : null);
const INVITE_RE = /http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]+/g;
const invitesPrinted = (insts: Instance[]) => insts.flatMap((i) => i.output().match(INVITE_RE) ?? []);

/** Lines by `email` on `commit` as the remote has them. */
async function linesBy(svc: Service, commit: string, email: string): Promise<string[]> {
  return (await remoteNoteLines(svc.remote, commit)).filter((l) => l.split(' ')[2] === email);
}

/** Until the database has seen the killed instance's connections end (only `live` liveness locks are held). */
async function untilGoneFromDatabase(svc: Service, live: number): Promise<void> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: svc.databaseUrl });
  await c.connect();
  try {
    const held = async () => Number((await c.query("select count(*) as n from pg_locks where locktype = 'advisory' and classid::bigint = 7718265 and objsubid = 2 and granted and database = (select oid from pg_database where datname = current_database())")).rows[0].n);
    expect(await waitFor(async () => (await held()) <= live, 10_000)).toBe(true);
  } finally {
    await c.end();
  }
}

async function waitFor(ok: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await ok()) return true;
    if (Date.now() > end) return false;
    await sleep(100);
  }
}

describe('one first admin', () => {
  it('three instances started at once on an empty database print one invite between them; a restart of the one that printed it prints a fresh one', async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const svc = await startService(cluster, 3);
    services.push(svc);
    const printed = invitesPrinted(svc.instances);
    expect(printed).toHaveLength(1);
    const announcer = svc.instances.findIndex((i) => INVITE_RE.test(i.output()));
    INVITE_RE.lastIndex = 0;
    for (const [i, inst] of svc.instances.entries()) {
      if (i !== announcer) expect(inst.output()).toContain('another instance printed the first admin');
    }
    // The announcer dies with its log; restarted, it prints a new link, and the old one still works
    // until it expires (the others stay quiet: the new announcer is alive).
    await svc.instances[announcer].kill();
    const again = await svc.start(announcer);
    expect(invitesPrinted([again])).toHaveLength(1);
    expect(invitesPrinted([again])[0]).not.toBe(printed[0]);
    await done(svc);
  }, 240_000);
});

describe('kill -9 of one instance', () => {
  it('mid-load, with clients retrying on the other: every answered approval is on the remote, one line each, also after the killed instance restarts', async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const svc = await startService(cluster, 2);
    services.push(svc);
    const [a, b] = svc.instances;
    const users: Client[] = [];
    for (let u = 0; u < 3; u++) {
      const email = `user${u}@example.org`;
      users.push(await enrollAcross(u % 2 ? a : b, u % 2 ? b : a, await svc.invite(email), { from: `127.0.1.${u + 1}`, email, counter: u % 2 ? 0 : undefined }));
    }
    const commits = svc.commits.slice(0, 4);
    let live: Instance[] = [a, b];
    let answeredCount = 0;
    const answered: Array<{ email: string; commit: string; line: string; status: string; by: string }> = [];
    const retried: string[] = [];

    /** One user's approvals, steps alternating between the live instances, retried on failure. */
    async function worker(u: number): Promise<void> {
      for (const [k, commit] of commits.entries()) {
        for (let attempt = 0; ; attempt++) {
          const x = live[(u + k + attempt) % live.length];
          const y = live[(u + k + attempt + 1) % live.length];
          try {
            const r = await approveAcross(x, y, users[u], commit);
            if (r.status === 200) {
              answered.push({ email: users[u].email, commit, line: r.body.line, status: r.body.status, by: y.name });
              answeredCount++;
              break;
            }
            // Prepared on an instance that died before answering: the approval id may be used up.
            if (attempt > 6) throw new Error(`approval failed: ${r.status} ${JSON.stringify(r.body)}`);
          } catch (e) {
            if (attempt > 6) throw e;
          }
          retried.push(`${users[u].email} ${commit.slice(0, 7)}`);
          await sleep(100);
        }
      }
    }
    const t0 = Date.now();
    const killer = (async () => {
      while (answeredCount < 4) await sleep(20);
      live = [b];
      await a.kill();
      if (process.env.INSTANCES_DEBUG) console.error(`killed A after ${Date.now() - t0} ms`);
    })();
    await Promise.all([...users.map((_, u) => worker(u)), killer]);
    if (process.env.INSTANCES_DEBUG) console.error(`load done after ${Date.now() - t0} ms, ${retried.length} retries`);
    expect(answered).toHaveLength(users.length * commits.length);
    expect(retried.length).toBeGreaterThan(0); // the kill did hit requests under way

    // What was answered "published" is on the remote now (an "already" may name a line A saved and
    // had not pushed when it died: that one goes out when A is back).
    for (const x of answered.filter((x) => x.status === 'published')) {
      expect(await remoteNoteLines(svc.remote, x.commit)).toContain(x.line);
    }
    // A comes back on its data dir and publishes what it saved; nothing is doubled.
    await svc.start(0);
    const oneEach = async () => {
      for (const x of answered) if ((await linesBy(svc, x.commit, x.email)).length !== 1) return false;
      return true;
    };
    expect(await waitFor(oneEach, 15_000)).toBe(true);
    for (const x of answered) expect(await linesBy(svc, x.commit, x.email)).toEqual([x.line]);
    await done(svc);
  }, 240_000);

  it('a line saved by an instance killed before it could publish is dropped on its restart when the retry on another instance wrote one', async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const svc = await startService(cluster, 2, { start: false });
    services.push(svc);
    // A reaches the remote through a link that can be cut, so A saves lines it cannot publish.
    const link = path.join(svc.root, 'remote-via-a.git');
    symlinkSync(svc.remote, link);
    const [a, b] = await Promise.all([svc.start(0, { remote: link }), svc.start(1)]);
    const carol = await enrollAcross(a, b, await svc.invite('carol@example.org'), { from: '127.0.2.1', email: 'carol@example.org', counter: 0 });
    const commit = svc.commits[1];
    rmSync(link);
    const saved = await approveAcross(a, a, carol, commit);
    expect(saved.body.status).toBe('saved');
    // A dies before the client hears from it (as far as the client knows, nothing happened) …
    await a.kill();
    await untilGoneFromDatabase(svc, 1);
    // … so the client approves again, on B: A's claim is a dead instance's whose line is on no
    // remote, so B writes (and publishes) its own line.
    const retry = await approveAcross(b, b, carol, commit);
    expect(retry.body.status).toBe('published');
    expect(retry.body.line).not.toBe(saved.body.line);
    expect(await linesBy(svc, commit, 'carol@example.org')).toEqual([retry.body.line]);

    // A restarts with the remote reachable again and drops its superseded line instead of publishing it.
    symlinkSync(svc.remote, link);
    const back = await svc.start(0, { remote: link });
    expect(await waitFor(async () => back.output().includes('dropped 1 unpublished line'), 15_000)).toBe(true);
    // Something else A publishes afterwards goes out; carol's approval still has one line.
    const later = await approveAcross(back, back, carol, svc.commits[2]);
    expect(later.body.status).toBe('published');
    expect(await linesBy(svc, commit, 'carol@example.org')).toEqual([retry.body.line]);
    await done(svc);
  }, 240_000);
});
