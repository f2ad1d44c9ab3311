import { reviewPath, type PushMessage } from './payload';

const short = (id: string) => id.slice(0, 7);

/** "14:02 UTC (2026-12-01)" from a line's time, which is always UTC. */
export function clockOf(time: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(time);
  return m ? `${m[2]} UTC (${m[1]})` : time;
}

export function reviewRequestMessage(r: { repo: string; commit: string; base: string | null; title: string; requestedBy: string; commitCount?: number }): PushMessage {
  const what = r.base && r.commitCount ? `${r.commitCount} commit${r.commitCount === 1 ? '' : 's'} up to ${short(r.commit)}` : short(r.commit);
  return {
    kind: 'review-request',
    title: `Review requested: ${r.repo}`,
    body: `${r.title}\n${r.requestedBy} asks you to review ${what}`,
    url: reviewPath(r.repo, r.commit, r.base),
    tag: `request:${r.repo}:${r.commit}`,
  };
}

/** The alarm: says which key, what it signed and when, so a signature you did not make stands out. */
export function signatureAlarmMessage(a: { repo: string; commit: string; base: string | null; verdict: string; time: string; keyLabel: string }): PushMessage {
  const did = a.verdict === 'approve' ? 'approved' : `signed "${a.verdict}" for`;
  return {
    kind: 'signature-alarm',
    title: 'A signature was made with your key',
    body: `${a.keyLabel} ${did} ${a.repo} ${short(a.commit)} at ${clockOf(a.time)}. Not you? Revoke that device and tell the project.`,
    url: reviewPath(a.repo, a.commit, a.base),
    tag: `alarm:${a.repo}:${a.commit}:${a.time}`,
  };
}

export function policyMetMessage(r: { repo: string; commit: string; base: string | null; title: string; count: number; threshold: number }): PushMessage {
  return {
    kind: 'policy-met',
    title: `Approved: ${r.repo} ${short(r.commit)}`,
    body: `${r.title}\n${r.count} of ${r.threshold} approvals: it meets the policy`,
    url: reviewPath(r.repo, r.commit, r.base),
    tag: `status:${r.repo}:${r.commit}`,
  };
}

export function policyFailingMessage(r: { repo: string; commit: string; base: string | null; title: string; failure: string }): PushMessage {
  return {
    kind: 'policy-failing',
    title: `Cannot pass: ${r.repo} ${short(r.commit)}`,
    body: `${r.title}\n${r.failure}`,
    url: reviewPath(r.repo, r.commit, r.base),
    tag: `status:${r.repo}:${r.commit}`,
  };
}
