import type { ForgeConfig } from '../config/forge';
import { CountersignError } from '../errors';
import type { App } from '../server/app';
import { readDeliveryHeaders } from './delivery';
import { deliveryRepository, parseBody, parsePayload, pullRequestPayload, pushPayload } from './payload';
import { onPullRequest } from './pull-requests';
import { signatureValid } from './signature';
import { forgeEvents } from './start';
import { forgetDelivery, rememberDelivery } from './store';

/** Deliveries larger than this are refused (pull request and push payloads are far smaller). */
export const MAX_DELIVERY_BYTES = 5 * 1024 * 1024;

/** An HTTP answer without a dependency on lib/server/http (the route turns errors into responses). */
export class WebhookRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface WebhookResult {
  delivery: string;
  event: string;
  repo: string;
  /** What was done: requested, draft, closed, fetched, pong, ignored, or duplicate (a redelivery). */
  outcome: string;
}

/** The configured repositories a delivery may be for: named by `?repo=`, else found by the forge's "owner/name". */
function candidates(app: App, named: string | null, fullName: string | null): { name: string; forge: ForgeConfig }[] {
  const withForge = app.config.repositories.filter((r) => r.forge).map((r) => ({ name: r.name, forge: r.forge! }));
  if (named !== null) {
    const r = withForge.find((c) => c.name === named);
    if (!r) throw new WebhookRefusal(404, `no repository "${named.slice(0, 100)}" with a forge is configured here`);
    return [r];
  }
  if (fullName === null) throw new WebhookRefusal(400, 'the delivery names no repository; add ?repo=<name> to the webhook URL');
  const found = withForge.filter((c) => c.forge.repo.toLowerCase() === fullName.toLowerCase());
  if (found.length === 0) throw new WebhookRefusal(404, `no configured repository has forge repo "${fullName.slice(0, 200)}"`);
  return found;
}

/**
 * `POST /api/hooks/github`: a delivery from GitHub, Forgejo or Gitea. In order, before anything is
 * written: its headers; its body; the repository it is for; its signature under that repository's
 * secret (401 if bad or missing); that the repository it names is the one configured (403 if
 * not). Then the delivery id is remembered — a redelivery answers "duplicate" and does nothing —
 * and the event acted on. A failure while acting forgets the id so that a redelivery retries.
 */
export async function handleWebhook(app: App, req: Request, raw: string): Promise<WebhookResult> {
  const h = readDeliveryHeaders(req.headers);
  const data = parseBody(raw, req.headers.get('content-type'));
  const fullName = deliveryRepository(data);
  const named = new URL(req.url).searchParams.get('repo');
  let target: { name: string; forge: ForgeConfig } | null = null;
  for (const c of candidates(app, named, fullName)) {
    if (await signatureValid(c.forge.secret, raw, h.signature)) {
      target = c;
      break;
    }
  }
  if (!target) {
    throw new WebhookRefusal(401, h.signature ? 'the webhook signature does not match this repository\'s secret' : 'the delivery is not signed: set the webhook secret on the forge (X-Hub-Signature-256)');
  }
  if (fullName !== null && fullName.toLowerCase() !== target.forge.repo.toLowerCase()) {
    throw new WebhookRefusal(403, `the delivery is for ${fullName.slice(0, 200)}, but repository "${target.name}" is ${target.forge.repo}`);
  }
  const result = (outcome: string): WebhookResult => ({ delivery: h.id, event: h.event, repo: target!.name, outcome });
  // Refuse a malformed event before remembering it.
  const pr = h.event === 'pull_request' ? parsePayload(pullRequestPayload, data, h.event) : null;
  const push = h.event === 'push' ? parsePayload(pushPayload, data, h.event) : null;
  if (!(await rememberDelivery(app.db, { id: h.id, repo: target.name, event: h.event }))) return result('duplicate');
  try {
    if (pr) {
      const r = await onPullRequest(app, target.name, target.forge, pr);
      if (r.outcome !== 'ignored' && r.outcome !== 'closed') await forgeEvents(app)?.pullRequestChanged(target.name, pr.pull_request.number);
      return result(r.outcome);
    }
    if (push) {
      // Review pages and statuses follow the push without polling: the fetch emits 'fetched'.
      const f = await app.repo(target.name).refresh({ maxAgeMs: 0 });
      if (!f.ok) throw new CountersignError('git-failed', `fetch after push failed: ${f.error}`);
      return result('fetched');
    }
    if (h.event === 'ping') return result('pong');
    return result('ignored');
  } catch (e) {
    await forgetDelivery(app.db, h.id).catch(() => {});
    throw e;
  }
}
