import type { CommitVerdict, LineVerdict } from '../gate/evaluate';
import type { TrustedPolicy } from '../policy/trusted';

/** Untrusted text (note lines, commit titles) must not move the cursor or forge lines in a terminal. */
export function printable(text: string, max = 80): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > max ? clean.slice(0, max - 3) + '...' : clean;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function lineStatus(l: LineVerdict): string {
  if (l.counted) return 'counted';
  return l.ok ? 'not counted' : 'FAILED';
}

export interface VerifiedCommit extends CommitVerdict {
  title: string;
}

/** The human table of `countersign verify`. */
export function formatVerifyTable(trusted: Pick<TrustedPolicy, 'policy' | 'refName' | 'commit'>, results: VerifiedCommit[]): string {
  const { policy } = trusted;
  const out: string[] = [];
  out.push(
    `policy: ${trusted.refName} (${trusted.commit.slice(0, 12)}), repository ${policy.repository}, namespace ${policy.namespace}` +
      (policy.excludeAuthor ? ', author excluded' : ''),
  );
  for (const r of results) {
    out.push('');
    const state = r.met ? 'met' : 'NOT MET';
    out.push(`${r.commit.slice(0, 12)}  ${printable(r.title, 60)}`);
    out.push(`  ${r.count}/${r.threshold} distinct trusted signers: ${state}${r.signers.length ? ` (${r.signers.map((s) => printable(s, 60)).join(', ')})` : ''}`);
    if (r.lines.length === 0) {
      out.push(`  no signatures in ${policy.notesRef}`);
      continue;
    }
    const signerWidth = Math.min(40, Math.max(...r.lines.map((l) => printable(l.signer, 40).length)));
    for (const l of r.lines) {
      const cells = [pad(lineStatus(l), 11), pad(printable(l.signer, 40), signerWidth), pad(printable(l.verdict, 12), 7), printable(l.time, 20)];
      if (l.fingerprint) cells.push(l.fingerprint);
      let text = `  ${cells.join('  ')}`;
      if (l.reason) text += `\n      ${l.ok ? '' : 'why: '}${printable(l.reason, 300)}`;
      out.push(text);
    }
  }
  const met = results.filter((r) => r.met).length;
  out.push('');
  out.push(
    results.length === 1
      ? `${met ? 'OK' : 'FAILED'}: the commit ${met ? 'meets' : 'does not meet'} the policy`
      : `${met === results.length ? 'OK' : 'FAILED'}: ${met} of ${results.length} commits meet the policy`,
  );
  return out.join('\n') + '\n';
}
