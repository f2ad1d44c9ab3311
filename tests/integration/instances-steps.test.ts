/**
 * Several instances, one service: two Countersign processes on one PostgreSQL database and one
 * bare remote, with requests alternating between them as a load balancer that does not pin users
 * would send them. Any step works on any instance, and one approval is one line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitIn, remoteNoteLines } from './app-harness';
import {
  approveAcross,
  approveOptionsOn,
  approveVerifyOn,
  enrollAcross,
  request,
  sleep,
  startCluster,
  startService,
  type Client,
  type Cluster,
  type Service,
} from './instances-harness';

let cluster: Cluster;
let svc: Service | null = null;
let alice: Client;
let bob: Client;

beforeAll(async () => {
  cluster = await startCluster();
  if (cluster.skipReason) return;
  svc = await startService(cluster, 2);
  const [a, b] = svc.instances;
  alice = await enrollAcross(a, b, await svc.invite('alice@example.org'), { from: '127.0.0.11', email: 'alice@example.org' });
  // Bob's passkey reports signature counter 0 every time, as synced passkeys do.
  bob = await enrollAcross(b, a, await svc.invite('bob@example.org'), { from: '127.0.0.12', email: 'bob@example.org', counter: 0 });
}, 120_000);

afterAll(async () => {
  if (process.env.INSTANCES_DEBUG) for (const i of svc?.instances ?? []) console.error(`--- ${i.name}\n${i.output()}`);
  await svc?.close();
  await cluster?.stop();
});

const skip = () => (cluster.skipReason ? cluster.skipReason : null);

describe('any step on any instance', () => {
  it('enrolled through A and B, signed in on both: the session made by one is honoured by the other', async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const [a, b] = svc!.instances;
    for (const inst of [a, b]) {
      const me = await request(inst, 'GET', '/api/me', { cookie: alice.cookie });
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe('alice@example.org');
    }
  });

  it('approval steps alternate between instances: options on A, verify on B, and the other way round', async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const [a, b] = svc!.instances;
    const c = svc!.commits;
    const one = await approveAcross(a, b, alice, c[4]);
    expect(one.status).toBe(200);
    expect(one.body.status).toBe('published');
    const two = await approveAcross(b, a, alice, c[3]);
    expect(two.body.status).toBe('published');
    expect(await remoteNoteLines(svc!.remote, c[4])).toEqual([one.body.line]);
    expect(await remoteNoteLines(svc!.remote, c[3])).toEqual([two.body.line]);
  });

  it('a commit pushed after B last fetched: prepared on A, approved on B (B fetches it first), and B serves its review and signatures', async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const [a, b] = svc!.instances;
    // B looks at the repository now, so its clone is fresh and it will not fetch again for a while.
    expect((await request(b, 'GET', `/api/repos/demo/commits/${svc!.commits[0]}/signatures`)).status).toBe(200);
    const fresh = await svc!.pushCommit('fresh-one');
    const prepared = await approveOptionsOn(a, alice, fresh);
    expect(prepared.status).toBe(200);
    const verified = await approveVerifyOn(b, alice, fresh, prepared.body);
    expect(verified.body.error ?? null).toBeNull();
    expect(verified.status).toBe(200);
    expect(verified.body.status).toBe('published');
    expect(await remoteNoteLines(svc!.remote, fresh)).toEqual([verified.body.line]);

    // Another fresh commit, known to the service (approved through A): B's anonymous bot API and
    // review answer for it at once instead of a 404 until B's next fetch.
    expect((await request(b, 'GET', `/api/repos/demo/commits/${svc!.commits[0]}/signatures`)).status).toBe(200);
    const other = await svc!.pushCommit('fresh-two');
    const onA = await approveAcross(a, a, alice, other);
    expect(onA.body.status).toBe('published');
    let sigs = await request(b, 'GET', `/api/repos/demo/commits/${other}/signatures`);
    expect(sigs.status).toBe(200);
    // B may be fetching the notes (the notification) as it answers: the line is there within moments.
    for (let i = 0; i < 20 && sigs.body.signatures.length === 0; i++) {
      await sleep(50);
      sigs = await request(b, 'GET', `/api/repos/demo/commits/${other}/signatures`);
    }
    expect(sigs.body.signatures.map((s: any) => s.line)).toEqual([onA.body.line]);
    const review = await request(b, 'GET', `/api/repos/demo/commits/${other}`);
    expect(review.status).toBe(200);
    expect(review.body.commit.id ?? review.body.commit).toBeTruthy();
  });

  it("a commit on no branch (a pull request's head) approved through A: B's anonymous bot API fetches it by id, since the service has seen it", async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const [a, b] = svc!.instances;
    const head = await svc!.pushCommit('pr-7', { ref: 'refs/pull/7/head' });
    const onA = await approveAcross(a, a, alice, head);
    expect(onA.body.status).toBe('published');
    // B follows the remote's branches (a notification makes it fetch them): this commit is on none.
    const sigs = await request(b, 'GET', `/api/repos/demo/commits/${head}/signatures`);
    expect(sigs.status).toBe(200);
    expect(sigs.body.signatures.map((s: any) => s.line)).toEqual([onA.body.line]);
    // An id the service has never seen is still answered from the clone alone.
    const unknown = await request(b, 'GET', `/api/repos/demo/commits/${'e'.repeat(40)}/signatures`);
    expect(unknown.status).toBe(404);
  });

  it('no error names a server path: a commit B cannot get says which repository, not where it lives', async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const [a, b] = svc!.instances;
    const missing = 'f'.repeat(40);
    // Prepared on A from a branch that is deleted before B fetches it: B cannot get the commit.
    expect((await request(b, 'GET', `/api/repos/demo/commits/${svc!.commits[0]}/signatures`)).status).toBe(200);
    const gone = await svc!.pushCommit('gone-soon');
    const prepared = await approveOptionsOn(a, alice, gone);
    expect(prepared.status).toBe(200);
    await gitIn(svc!.remote, 'branch', '-D', 'gone-soon');
    await gitIn(svc!.remote, 'reflog', 'expire', '--expire=now', '--all');
    await gitIn(svc!.remote, 'gc', '--quiet', '--prune=now');
    const answers = [
      await approveVerifyOn(b, alice, gone, prepared.body),
      await request(b, 'GET', `/api/repos/demo/commits/${missing}/signatures`),
      await request(b, 'GET', `/api/repos/demo/commits/${missing}`, { cookie: alice.cookie }),
      await approveOptionsOn(a, alice, missing),
    ];
    for (const r of answers) {
      expect(r.status).toBe(404);
      expect(r.body.error).toContain('"demo"');
      expect(r.body.error).not.toContain(svc!.root);
      expect(r.body.error).not.toMatch(/\/repos\/demo/);
    }
  });
});

describe('one approval, one line, across instances', () => {
  it('re-approving on B right after approving on A writes nothing: "already", with A\'s line', async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const [a, b] = svc!.instances;
    const c = svc!.commits[2];
    const first = await approveAcross(a, a, alice, c);
    expect(first.body.status).toBe('published');
    const again = await approveAcross(b, b, alice, c);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('already');
    expect(again.body.line).toBe(first.body.line);
    expect(await remoteNoteLines(svc!.remote, c)).toEqual([first.body.line]);
  });

  it('double taps split across instances with a counter-0 passkey write one line each time', async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const [a, b] = svc!.instances;
    for (const c of svc!.commits.slice(1, 4)) {
      const [pa, pb] = await Promise.all([approveOptionsOn(a, bob, c), approveOptionsOn(b, bob, c)]);
      const [ra, rb] = await Promise.all([approveVerifyOn(b, bob, c, pa.body, { counter: 0 }), approveVerifyOn(a, bob, c, pb.body, { counter: 0 })]);
      expect([ra.status, rb.status]).toEqual([200, 200]);
      expect([ra.body.status, rb.body.status].sort()).toEqual(['already', 'published']);
      expect(ra.body.line).toBe(rb.body.line);
      const bobs = (await remoteNoteLines(svc!.remote, c)).filter((l) => l.includes(' bob@example.org '));
      expect(bobs).toEqual([ra.body.line]);
    }
  });
});

describe('signatures show up at once on the other instance', () => {
  it('a line written on A reaches B\'s clone through NOTIFY, with nothing asking B, and B\'s API shows it', async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const [a, b] = svc!.instances;
    const c = svc!.commits[0];
    const bClone = `${b.dataDir}/repos/demo`;
    // B fetches now; it would not fetch again before 3 s have passed and someone asks it something.
    expect((await request(b, 'GET', `/api/repos/demo/commits/${c}/signatures`)).status).toBe(200);
    const done = await approveAcross(a, a, alice, c);
    expect(done.body.status).toBe('published');
    const t0 = Date.now(); // the line is on the remote now
    let seenAt = 0;
    while (Date.now() - t0 < 15_000) {
      const lines = await gitIn(bClone, 'notes', '--ref=refs/notes/countersign', 'show', c).catch(() => '');
      if (lines.includes(done.body.line)) {
        seenAt = Date.now();
        break;
      }
      await sleep(20);
    }
    // Nothing asked B anything meanwhile, and B never fetches unasked: only the notification can
    // have made it fetch. (How soon is a figure, not an assertion: INSTANCES_DEBUG prints it.)
    expect(seenAt).toBeGreaterThan(0);
    if (process.env.INSTANCES_DEBUG) console.error(`NOTIFY: on B's clone ${seenAt - t0} ms after A answered`);
    const sigs = await request(b, 'GET', `/api/repos/demo/commits/${c}/signatures`);
    expect(sigs.body.signatures.map((s: any) => s.line)).toContain(done.body.line);
  });
});

describe('rate limits hold for the service, not per instance', () => {
  it("a client's 30 sign-in attempts a minute are spent across both instances; the 31st is refused on either, with a true Retry-After", async (ctx) => {
    if (skip()) ctx.skip(skip()!);
    const [a, b] = svc!.instances;
    const from = '127.0.0.40';
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await request(i % 2 ? b : a, 'POST', '/api/auth/login/options', { body: {}, from }));
    expect(answers.map((r) => r.status)).toEqual(Array(30).fill(200));
    for (const inst of [a, b]) {
      const refused = await request(inst, 'POST', '/api/auth/login/options', { body: {}, from });
      expect(refused.status).toBe(429);
      const wait = Number(refused.headers['retry-after']);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60);
    }
    // Another client's budget is untouched, on either instance.
    expect((await request(b, 'POST', '/api/auth/login/options', { body: {}, from: '127.0.0.41' })).status).toBe(200);
  });
});
