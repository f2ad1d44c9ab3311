/**
 * Verification throughput: our in-process verifier vs one `ssh-keygen -Y verify` process
 * per signature, on the same corpus, with identical verdicts required.
 *
 *   npx tsx bench/verify-throughput.ts [count=1200] [ssh-keygen parallelism=2]
 *
 * Corpus: passkey (webauthn-sk-ecdsa) signatures from several soft passkeys, Ed25519 and
 * ECDSA P-256 signatures, about 9% of them invalid in various ways. One allowed_signers
 * file lists every key. Our verifier runs on one thread (allowed_signers parsed once, as a
 * CI bot would). ssh-keygen runs twice over the corpus: one process at a time (one core
 * each, like for like) and `parallelism` processes at a time (default 2, the cores of the
 * reference machine; the conservative figure). Exits 1 if any verdict differs.
 */
import { writeFile } from 'node:fs/promises';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseAllowedSignersLenient } from '../lib/allowed-signers';
import { formatPublicKey, type SshPublicKey } from '../lib/ssh/public-key';
import { armorSshSig, signedDataBlob, verifySshSig } from '../lib/sshsig';
import { DEFAULT_NAMESPACE } from '../lib/statement/statement';
import {
  createPasskey,
  createSoftSshKey,
  getAssertion,
  packageUnchecked,
  passkeySshSig,
  softSshSig,
  type SoftPasskey,
  type SoftSshKey,
} from '../tests/support/soft-authenticator';
import { limiter, makeTempDir, run, SSH_KEYGEN } from '../tests/support/ssh-keygen';

interface WorkerJob {
  allowedSignersText: string;
  items: { sig: Uint8Array; message: Uint8Array; identity: string }[];
}

if (!isMainThread) {
  // Worker: verify its share of the corpus each time the main thread says go.
  const job = workerData as WorkerJob;
  const signers = parseAllowedSignersLenient(job.allowedSignersText).signers;
  const verifyAll = () =>
    job.items.map((it) => verifySshSig({ signature: it.sig, message: it.message, namespace: DEFAULT_NAMESPACE, allowedSigners: signers, identity: it.identity }).ok);
  verifyAll(); // warm-up
  parentPort!.on('message', (m) => {
    if (m === 'go') parentPort!.postMessage(verifyAll());
    else process.exit(0);
  });
  parentPort!.postMessage('ready');
} else {
  await main();
}

async function main() {
  const loadBefore = loadavg()[0].toFixed(2);
  const COUNT = Number(process.argv[2] ?? 1200);
  const PARALLEL = Number(process.argv[3] ?? 2);
  const NS = DEFAULT_NAMESPACE;
  const ORIGIN = 'https://sign.example.org';

  interface Item {
    kind: string;
    sig: Uint8Array;
    message: Uint8Array;
    identity: string;
  }

  // ---- corpus ----
  const passkeys: SoftPasskey[] = Array.from({ length: 6 }, () => createPasskey({ rpId: 'sign.example.org' }));
  const plain: SoftSshKey[] = [...Array.from({ length: 3 }, () => createSoftSshKey('ed25519')), ...Array.from({ length: 3 }, () => createSoftSshKey('ecdsa'))];
  const who = new Map<SshPublicKey, string>();
  const lines: string[] = ['# benchmark reviewers'];
  passkeys.forEach((p, i) => {
    who.set(p.sshKey, `passkey${i}@example.org`);
    lines.push(`passkey${i}@example.org namespaces="${NS}" ${formatPublicKey(p.sshKey)}`);
  });
  plain.forEach((k, i) => {
    who.set(k.sshKey, `${k.kind}${i}@example.org`);
    lines.push(`${k.kind}${i}@example.org ${formatPublicKey(k.sshKey)}`);
  });
  const allowedSignersText = lines.join('\n') + '\n';

  const items: Item[] = [];
  for (let i = 0; i < COUNT; i++) {
    const message = new TextEncoder().encode(
      `countersign review statement v1\nrepository: bench\ncommit: ${i.toString(16).padStart(40, '0')}\ntree: ${'e'.repeat(40)}\nverdict: approve\nsigner: x\ntime: 2026-06-01T12:00:00Z\n`,
    );
    const bad = i % 11 === 3 ? (i % 3) : -1; // ~9% invalid, three ways
    const which = i % 4 < 2 ? 'passkey' : i % 4 === 2 ? 'ed25519' : 'ecdsa';
    if (which === 'passkey') {
      const pk = passkeys[i % passkeys.length];
      const identity = who.get(pk.sshKey)!;
      if (bad === 0) {
        // Invalid in a way only the webauthn checks catch: the AT flag.
        const a = getAssertion(pk, { challenge: signedDataBlob(NS, message), origin: ORIGIN, flags: 0x45 });
        items.push({ kind: 'passkey (AT flag)', sig: packageUnchecked(pk.sshKey, a, { namespace: NS }), message, identity });
        continue;
      }
      const sig = passkeySshSig(pk, { message, namespace: NS, origin: ORIGIN }).sshsig;
      if (bad === 1) items.push({ kind: 'passkey (tampered message)', sig, message: new TextEncoder().encode('tampered'), identity });
      else if (bad === 2) items.push({ kind: 'passkey (wrong identity)', sig, message, identity: 'mallory@example.org' });
      else items.push({ kind: 'passkey', sig, message, identity });
    } else {
      const candidates = plain.filter((k) => k.kind === which);
      const k = candidates[i % candidates.length];
      const sig = softSshSig(k, { message, namespace: NS });
      const identity = who.get(k.sshKey)!;
      if (bad === 0) {
        const garbled = sig.slice();
        garbled[garbled.length - 5] ^= 0x10;
        items.push({ kind: `${which} (garbled)`, sig: garbled, message, identity });
      } else if (bad === 1) items.push({ kind: `${which} (tampered message)`, sig, message: new TextEncoder().encode('tampered'), identity });
      else if (bad === 2) items.push({ kind: `${which} (wrong identity)`, sig, message, identity: 'mallory@example.org' });
      else items.push({ kind: which, sig, message, identity });
    }
  }

  // ---- ours ----
  const signers = parseAllowedSignersLenient(allowedSignersText).signers;
  const verifyOne = (it: Item) => verifySshSig({ signature: it.sig, message: it.message, namespace: NS, allowedSigners: signers, identity: it.identity }).ok;
  for (const it of items) verifyOne(it); // warm-up pass (JIT, key caches), not timed
  // Timed passes over the whole corpus until at least 2 s have elapsed (>= 3 passes): a long
  // window, so a busy machine's scheduling noise averages out as it does for ssh-keygen.
  let ours: boolean[] = [];
  let passes = 0;
  const t0 = performance.now();
  while (passes < 3 || performance.now() - t0 < 2000) {
    ours = items.map(verifyOne);
    passes++;
  }
  const oursMs = (performance.now() - t0) / passes;

  // The same on PARALLEL worker threads, each verifying a contiguous share (like for like with
  // PARALLEL ssh-keygen processes).
  const shares = Array.from({ length: PARALLEL }, (_, w) => items.slice(Math.floor((w * items.length) / PARALLEL), Math.floor(((w + 1) * items.length) / PARALLEL)));
  const workers = shares.map(
    (share) =>
      // The worker loads this same file through tsx's loader (TypeScript, no build step).
      new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); return import(${JSON.stringify(import.meta.url)}); });`, {
        eval: true,
        workerData: { allowedSignersText, items: share.map(({ sig, message, identity }) => ({ sig, message, identity })) } satisfies WorkerJob,
      }),
  );
  const next = (w: Worker) => new Promise<unknown>((resolve, reject) => {
    // Remove the error listener once answered, or every pass leaves one behind on the worker.
    const onError = (e: Error) => reject(e);
    w.once('error', onError);
    w.once('message', (m) => {
      w.off('error', onError);
      resolve(m);
    });
  });
  await Promise.all(workers.map(next)); // 'ready' after warm-up
  let threaded: boolean[] = [];
  let threadRuns = 0;
  const tThreads = performance.now();
  while (threadRuns < 3 || performance.now() - tThreads < 2000) {
    const results = workers.map(next);
    workers.forEach((w) => w.postMessage('go'));
    threaded = ((await Promise.all(results)) as boolean[][]).flat();
    threadRuns++;
  }
  const threadsMs = (performance.now() - tThreads) / threadRuns;
  workers.forEach((w) => w.postMessage('stop'));

  // ---- ssh-keygen, one process per signature ----
  const tmp = await makeTempDir('countersign-bench-');
  const asPath = path.join(tmp.dir, 'allowed_signers');
  await writeFile(asPath, allowedSignersText);
  await Promise.all(items.map((it, i) => writeFile(path.join(tmp.dir, `${i}.sig`), armorSshSig(it.sig))));
  async function stockRun(parallel: number): Promise<{ ms: number; verdicts: boolean[] }> {
    const limit = limiter(parallel);
    const t = performance.now();
    const verdicts = await Promise.all(
      items.map((it, i) =>
        limit(async () => {
          const r = await run(SSH_KEYGEN, ['-Y', 'verify', '-f', asPath, '-I', it.identity, '-n', NS, '-s', path.join(tmp.dir, `${i}.sig`)], it.message);
          return r.code === 0;
        }),
      ),
    );
    return { ms: performance.now() - t, verdicts };
  }
  const sequential = await stockRun(1);
  const parallel = await stockRun(PARALLEL);
  await tmp.cleanup();

  // ---- report ----
  const mismatches = items
    .map((it, i) => ({ it, i }))
    .filter(({ i }) => ours[i] !== sequential.verdicts[i] || ours[i] !== parallel.verdicts[i] || ours[i] !== threaded[i]);
  const kinds = new Map<string, { n: number; good: number }>();
  items.forEach((it, i) => {
    const k = kinds.get(it.kind) ?? { n: 0, good: 0 };
    k.n++;
    if (ours[i]) k.good++;
    kinds.set(it.kind, k);
  });
  const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(0);
  console.log(`corpus: ${items.length} signatures (${ours.filter(Boolean).length} valid, ${ours.filter((x) => !x).length} invalid)`);
  for (const [k, v] of kinds) console.log(`  ${k.padEnd(28)} ${String(v.n).padStart(5)}  valid ${v.good}`);
  console.log(`machine: ${cpus().length} CPU(s), ${cpus()[0]?.model ?? '?'}; node ${process.version}; load average before run ${loadBefore}, after ${loadavg()[0].toFixed(2)}`);
  const line = (label: string, ms: number) => console.log(`${label.padEnd(52)} ${ms.toFixed(0).padStart(7)} ms  ${rate(items.length, ms).padStart(6)} signatures/s`);
  line(`ours: in-process, 1 thread (mean of ${passes} passes)`, oursMs);
  line(`ours: in-process, ${PARALLEL} worker threads (mean of ${threadRuns} passes)`, threadsMs);
  line('ssh-keygen -Y verify: 1 process per signature, sequential', sequential.ms);
  line(`ssh-keygen -Y verify: 1 process per signature, ${PARALLEL} at a time`, parallel.ms);
  const oneCore = sequential.ms / oursMs;
  const allCores = parallel.ms / threadsMs;
  const conservative = parallel.ms / oursMs;
  console.log(`speedup, 1 core each (ours 1 thread vs ssh-keygen sequential):          ${oneCore.toFixed(1)}x`);
  console.log(`speedup, ${PARALLEL} cores each (ours ${PARALLEL} threads vs ssh-keygen ${PARALLEL} at a time):    ${allCores.toFixed(1)}x`);
  console.log(`speedup, ours 1 thread vs ssh-keygen ${PARALLEL} at a time (handicapped):      ${conservative.toFixed(1)}x`);
  console.log(`target >= 50x (like for like): ${oneCore >= 50 && allCores >= 50 ? 'met' : 'NOT met'}`);
  if (mismatches.length > 0) {
    console.error(`VERDICTS DIFFER for ${mismatches.length} signature(s):`);
    for (const { it, i } of mismatches.slice(0, 10)) console.error(`  #${i} ${it.kind}: ours ${ours[i]}, ssh-keygen ${sequential.verdicts[i]} / ${parallel.verdicts[i]}`);
    process.exit(1);
  }
  console.log('verdicts: identical for every signature');
}
