import { getApp } from '@/lib/server/app';
import { errorResponse, json } from '@/lib/server/http';
import { handleWebhook, MAX_DELIVERY_BYTES, WebhookRefusal } from '@/lib/forge/webhook';
import { readRawBody } from '@/lib/forge/raw-body';

export const runtime = 'nodejs';

/**
 * Webhook deliveries from GitHub, Forgejo and Gitea (lib/forge/webhook.ts). No session and no
 * Origin: the forge's signature under the repository's secret is the only credential.
 */
export async function POST(req: Request): Promise<Response> {
  try {
    const app = await getApp();
    const raw = await readRawBody(req, MAX_DELIVERY_BYTES);
    return json(await handleWebhook(app, req, raw));
  } catch (e) {
    if (e instanceof WebhookRefusal) return json({ error: e.message }, { status: e.status });
    return errorResponse(e);
  }
}
