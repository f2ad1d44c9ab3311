import { z } from 'zod';
import { CountersignError } from '../errors';

/**
 * The parts of the deliveries Countersign acts on, validated (a forge's payloads carry much more,
 * which passes through unread). GitHub's field names; Forgejo and Gitea use the same ones.
 */

const sha = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'expected a full commit id');

export const repositoryPart = z.object({ full_name: z.string().min(1).max(300) }).passthrough();

export const pullRequestPayload = z
  .object({
    action: z.string().min(1).max(64),
    number: z.number().int().positive().optional(),
    pull_request: z
      .object({
        number: z.number().int().positive(),
        title: z.string().max(1000),
        html_url: z.string().url().max(2000),
        draft: z.boolean().optional(),
        merged: z.boolean().nullable().optional(),
        head: z.object({ sha }).passthrough(),
        base: z.object({ ref: z.string().min(1).max(255), sha: sha.optional() }).passthrough(),
      })
      .passthrough(),
    repository: repositoryPart,
    sender: z.object({ login: z.string().max(100) }).passthrough().optional(),
  })
  .passthrough();

export type PullRequestPayload = z.infer<typeof pullRequestPayload>;

export const pushPayload = z
  .object({
    ref: z.string().min(1).max(300),
    after: z.string().optional(),
    repository: repositoryPart,
  })
  .passthrough();

export type PushPayload = z.infer<typeof pushPayload>;

/** The body's JSON: as sent (content type application/json), or in the `payload` field of a form post. */
export function parseBody(raw: string, contentType: string | null): unknown {
  let text = raw;
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) {
    const p = new URLSearchParams(raw).get('payload');
    if (p === null) throw new CountersignError('bad-input', 'a form-encoded delivery must carry its JSON in the payload field');
    text = p;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CountersignError('bad-input', 'the delivery is not valid JSON (set the webhook content type to application/json)');
  }
}

export function parsePayload<T>(schema: z.ZodType<T>, data: unknown, event: string): T {
  const r = schema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new CountersignError('bad-input', `${event} delivery: ${i?.path.join('.') || '(top level)'}: ${i?.message ?? 'unexpected shape'}`);
  }
  return r.data;
}

/** The repository a delivery is about ("owner/name"), if it names one (an organisation's ping does not). */
export function deliveryRepository(data: unknown): string | null {
  const r = repositoryPart.safeParse((data as { repository?: unknown } | null)?.repository);
  return r.success ? r.data.full_name : null;
}
