/**
 * A request body read to the end as strict UTF-8, refused as soon as it passes maxBytes (a
 * declared Content-Length above the limit is refused before reading anything). A body that is
 * not UTF-8 is refused rather than decoded leniently, which would change its bytes. The errors
 * are the caller's: an API answers differently from a webhook.
 */
export async function readBodyText(
  req: Request,
  maxBytes: number,
  errors: { tooLarge: () => Error; notUtf8: () => Error },
  opts: { keepBom?: boolean } = {},
): Promise<string> {
  if (Number(req.headers.get('content-length') ?? '0') > maxBytes) throw errors.tooLarge();
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
      throw errors.tooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: opts.keepBom ?? false }).decode(Buffer.concat(chunks));
  } catch {
    throw errors.notUtf8();
  }
}
