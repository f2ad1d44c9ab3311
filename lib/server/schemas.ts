import { z } from 'zod';

/**
 * Request bodies of the JSON API. WebAuthn responses keep unknown members (browsers add some) but
 * bound every string. Every string is checked here, before any handler runs, so that bad input is
 * a 400 that has written nothing (not a database error, not a used-up challenge).
 */

/**
 * Text that can be stored and shown: no control characters (PostgreSQL refuses NUL outright, and
 * the others have no place in a name, an address or an id) and no lone surrogates (they have no
 * UTF-8 form).
 */
export function isCleanText(s: string): boolean {
  return !/[\u0000-\u001f\u007f]|\p{Cs}/u.test(s);
}

export const CLEAN_TEXT_MESSAGE = 'control characters (such as NUL) and broken Unicode are not allowed';

const text = (max: number) => z.string().max(max).refine(isCleanText, CLEAN_TEXT_MESSAGE);

/** Our own identifiers (approval ids, device ids) are base64url. */
const id = z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'malformed id');

const b64url = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*$/, 'expected base64url');

const transports = z.array(text(20)).max(10).optional();

/**
 * Why a clientDataJSON (base64url) cannot be what a browser sends, or null if it can be: it must be
 * UTF-8 JSON, an object with string `type`, `challenge` and `origin` (WebAuthn §5.8.1). Checked in
 * the schema, so a malformed one is refused before its challenge is looked up and used up.
 */
export function clientDataProblem(b64: string): string | null {
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64url'));
  } catch {
    return 'clientDataJSON is not valid UTF-8';
  }
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return 'clientDataJSON is not JSON';
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'clientDataJSON is not a JSON object';
  for (const member of ['type', 'challenge', 'origin'] as const) {
    const v = (data as Record<string, unknown>)[member];
    if (typeof v !== 'string' || !isCleanText(v)) return `clientDataJSON has no readable ${member}`;
  }
  return null;
}

const clientDataJSON = b64url(8192)
  .min(1)
  .superRefine((s, ctx) => {
    const problem = clientDataProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** The members every PublicKeyCredential carries, created or used: its id (twice) and type. */
const credential = {
  id: b64url(1400).min(1),
  rawId: b64url(1400).min(1),
  type: z.literal('public-key'),
};

export const registrationResponse = z.looseObject({
  ...credential,
  response: z.looseObject({
    clientDataJSON,
    attestationObject: b64url(32768).min(1),
    transports,
  }),
  clientExtensionResults: z.looseObject({}).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

export const authenticationResponse = z.looseObject({
  ...credential,
  response: z.looseObject({
    clientDataJSON,
    authenticatorData: b64url(8192).min(1),
    signature: b64url(1024).min(1),
    userHandle: b64url(256).optional().nullable(),
  }),
  clientExtensionResults: z.looseObject({}).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional().nullable(),
});

const inviteToken = z.string().min(20).max(100).regex(/^[A-Za-z0-9_-]+$/, 'malformed invite token');

export const registerOptionsBody = z.strictObject({ inviteToken: inviteToken.optional() });
export const registerVerifyBody = z.strictObject({
  inviteToken: inviteToken.optional(),
  deviceName: text(200).optional(),
  response: registrationResponse,
});
export const emptyBody = z.looseObject({});
export const loginVerifyBody = z.strictObject({ response: authenticationResponse });
export const renameBody = z.strictObject({ name: text(200).min(1) });
export const inviteBody = z.strictObject({ email: text(254).min(3), admin: z.boolean().optional() });
export const tokenBody = z.strictObject({ name: text(100).min(1) });
/** A change's base as an approval names it: the full id the change page shows. */
const baseId = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'base must be a full lowercase commit id');
/** `base`: a branch name, a full or abbreviated id; the request then asks for the change from there. */
export const requestBody = z.strictObject({ repo: text(200).min(1), commit: text(200).min(1), base: text(200).min(1).optional() });
export const approveOptionsBody = z.strictObject({ verdict: z.literal('approve'), base: baseId.optional() });
export const approveVerifyBody = z.strictObject({ approvalId: id, base: baseId.optional(), response: authenticationResponse });
