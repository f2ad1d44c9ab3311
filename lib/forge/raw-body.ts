import { WebhookRefusal } from './webhook';

/**
 * The body exactly as received (the signature covers these bytes), as text: a body that is not
 * UTF-8 could not be the JSON a forge sends, and decoding it leniently would change the bytes.
 */
export async function readRawBody(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new WebhookRefusal(413, `delivery too large (limit ${maxBytes} bytes)`);
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new WebhookRefusal(413, `delivery too large (limit ${maxBytes} bytes)`);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new WebhookRefusal(400, 'the delivery is not valid UTF-8');
  }
}
