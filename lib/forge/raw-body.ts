import { readBodyText } from '../server/body-text';
import { WebhookRefusal } from './webhook';

/**
 * The body exactly as received (the signature covers these bytes), as text: a body that is not
 * UTF-8 could not be the JSON a forge sends, and decoding it leniently would change the bytes.
 */
export function readRawBody(req: Request, maxBytes: number): Promise<string> {
  return readBodyText(
    req,
    maxBytes,
    {
      tooLarge: () => new WebhookRefusal(413, `delivery too large (limit ${maxBytes} bytes)`),
      notUtf8: () => new WebhookRefusal(400, 'the delivery is not valid UTF-8'),
    },
    { keepBom: true },
  );
}
