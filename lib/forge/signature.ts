import { Webhooks } from '@octokit/webhooks';

/**
 * Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>` with @octokit/webhooks
 * (a constant-time comparison over the exact body received). A missing or malformed header is
 * simply not a valid signature.
 */
export async function signatureValid(secret: string, rawBody: string, signature: string | null): Promise<boolean> {
  if (!signature || !/^sha256=[0-9a-fA-F]{64}$/.test(signature)) return false;
  try {
    return await new Webhooks({ secret }).verify(rawBody, signature.toLowerCase());
  } catch {
    return false;
  }
}

/** The header value a forge would send for `rawBody` (tests, and `curl` examples in the README). */
export async function signBody(secret: string, rawBody: string): Promise<string> {
  return new Webhooks({ secret }).sign(rawBody);
}
