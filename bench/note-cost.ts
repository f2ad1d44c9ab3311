/**
 * What a planted note costs the gate: one commit's note holding MiB of valid passkey signatures by
 * keys allowed_signers does not list (what anyone who can push the notes ref can plant once), plus
 * two real approvals. Prints milliseconds per MiB of planted lines for a first evaluation (the note
 * budget applies: 1 MiB read, 256 signatures verified) and a repeated one (the verdict cache), and,
 * when BEFORE_DIR names a checkout of an earlier Countersign, the same for its evaluateLines.
 *
 *   npx tsx bench/note-cost.ts [MiB=2]
 *   BEFORE_DIR=/tmp/countersign-before npx tsx bench/note-cost.ts
 */
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { parseAllowedSigners } from '../lib/allowed-signers';
import { evaluateLines, evaluationCache, NOTE_BUDGET } from '../lib/gate/evaluate';
import { formatNoteLine } from '../lib/notes/line';
import { parsePolicy } from '../lib/policy/policy';
import { formatPublicKey } from '../lib/ssh/public-key';
import { DEFAULT_NAMESPACE, statementBytes } from '../lib/statement/statement';
import { createPasskey, passkeySshSig, type SoftPasskey } from '../tests/support/soft-authenticator';

const MIB = Number(process.argv[2] ?? 2);
const REPO = 'bench/notes';
const COMMIT = 'a'.repeat(40);
const TREE = 'b'.repeat(40);
const ORIGIN = 'https://sign.example.org';
const RP_ID = 'sign.example.org';

function line(pk: SoftPasskey, signer: string, i: number): string {
  const time = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const message = statementBytes({ repository: REPO, commit: COMMIT, tree: TREE, verdict: 'approve', signer, time });
  const { sshsig } = passkeySshSig(pk, { message, namespace: DEFAULT_NAMESPACE, origin: ORIGIN });
  return formatNoteLine({ verdict: 'approve', signer, time, signature: sshsig });
}

const bob = createPasskey({ rpId: RP_ID });
const carol = createPasskey({ rpId: RP_ID });
const strangers = Array.from({ length: 16 }, () => createPasskey({ rpId: RP_ID }));
const planted: string[] = [];
let bytes = 0;
for (let i = 0; bytes < MIB * 1024 * 1024; i++) {
  const l = line(strangers[i % strangers.length], `planted${i}@example.net`, i);
  planted.push(l);
  bytes += l.length + 1;
}
const lines = [...planted, line(bob, 'bob@example.org', 0), line(carol, 'carol@example.org', 0)].sort(); // as cat_sort_uniq stores them
const allowedSigners = parseAllowedSigners(`bob@example.org ${formatPublicKey(bob.sshKey)}\ncarol@example.org ${formatPublicKey(carol.sshKey)}\n`);
const policy = parsePolicy(JSON.stringify({ repository: REPO, threshold: 2, rpIds: [RP_ID], origins: [ORIGIN] }));
const now = new Date('2026-02-01T00:00:00Z');
const mib = bytes / (1024 * 1024);

function time<T>(f: () => T): { ms: number; result: T } {
  const t0 = performance.now();
  const result = f();
  return { ms: performance.now() - t0, result };
}

const input = { lines, repository: REPO, commit: COMMIT, tree: TREE, exclusions: [], policy, allowedSigners, now };
console.log(`note: ${planted.length} planted passkey lines (${mib.toFixed(2)} MiB) + 2 trusted approvals; budget ${NOTE_BUDGET.maxBytes / 1024} KiB read, ${NOTE_BUDGET.maxVerified} verified`);
evaluationCache.clear();
const cold = time(() => evaluateLines(input));
const warm = time(() => evaluateLines(input));
console.log(`now, first evaluation:    ${(cold.ms / mib).toFixed(1)} ms per MiB (${cold.ms.toFixed(1)} ms; met: ${cold.result.met}, count ${cold.result.count})`);
console.log(`now, repeated (cached):   ${(warm.ms / mib).toFixed(1)} ms per MiB (${warm.ms.toFixed(1)} ms)`);

if (process.env.BEFORE_DIR) {
  const before = await import(path.resolve(process.env.BEFORE_DIR, 'lib/gate/evaluate.ts'));
  const oldPolicy = { ...policy };
  delete (oldPolicy as Record<string, unknown>).requireSignedCommits;
  const oldInput = { lines, repository: REPO, commit: COMMIT, tree: TREE, author: 'ada@example.org', policy: oldPolicy, allowedSigners, now };
  const first = time(() => before.evaluateLines(oldInput));
  const again = time(() => before.evaluateLines(oldInput));
  console.log(`before, first evaluation: ${(first.ms / mib).toFixed(1)} ms per MiB (${first.ms.toFixed(1)} ms; met: ${first.result.met})`);
  console.log(`before, repeated:         ${(again.ms / mib).toFixed(1)} ms per MiB (${again.ms.toFixed(1)} ms)`);
}
