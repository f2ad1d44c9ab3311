import { CountersignError } from '../errors';

/**
 * A webhook delivery as the forge sends it: the event name, the delivery id and the signature,
 * from GitHub's headers or from Forgejo's and Gitea's (which also send the GitHub names, and sign
 * with X-Hub-Signature-256 on current versions, or only with their own bare-hex header on older ones).
 */
export interface DeliveryHeaders {
  event: string;
  id: string;
  /** `sha256=<hex>` as X-Hub-Signature-256 carries it (a bare-hex Gitea/Forgejo signature is prefixed). */
  signature: string | null;
  forge: 'github' | 'forgejo' | 'gitea';
}

const EVENT_RE = /^[a-z_]{1,64}$/;
const ID_RE = /^[A-Za-z0-9._:-]{1,100}$/;

export function readDeliveryHeaders(h: Headers): DeliveryHeaders {
  const forge = h.has('x-forgejo-event') ? 'forgejo' : h.has('x-gitea-event') ? 'gitea' : 'github';
  const event = h.get('x-github-event') ?? h.get('x-forgejo-event') ?? h.get('x-gitea-event');
  const id = h.get('x-github-delivery') ?? h.get('x-forgejo-delivery') ?? h.get('x-gitea-delivery');
  if (!event || !EVENT_RE.test(event)) throw new CountersignError('bad-input', 'not a webhook delivery: the X-GitHub-Event (or X-Gitea-Event / X-Forgejo-Event) header is missing or malformed');
  if (!id || !ID_RE.test(id)) throw new CountersignError('bad-input', 'not a webhook delivery: the X-GitHub-Delivery (or X-Gitea-Delivery / X-Forgejo-Delivery) header is missing or malformed');
  let signature = h.get('x-hub-signature-256');
  if (!signature) {
    // Forgejo sends the same tag in both of its headers; when its own is present it is the one checked.
    const bare = h.get('x-forgejo-signature') ?? h.get('x-gitea-signature');
    signature = bare ? `sha256=${bare.trim()}` : null;
  }
  return { event, id, signature, forge };
}
