import { z } from 'zod';

/** Request bodies of the JSON API. WebAuthn responses keep unknown members (browsers add some) but bound every string. */
const b64url = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*$/, 'expected base64url');

const transports = z.array(z.string().max(20)).max(10).optional();

/** The members every PublicKeyCredential carries, created or used: its id (twice) and type. */
const credential = {
  id: b64url(1400).min(1),
  rawId: b64url(1400).min(1),
  type: z.literal('public-key'),
};

export const registrationResponse = z.looseObject({
  ...credential,
  response: z.looseObject({
    clientDataJSON: b64url(8192).min(1),
    attestationObject: b64url(32768).min(1),
    transports,
  }),
  clientExtensionResults: z.looseObject({}).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

export const authenticationResponse = z.looseObject({
  ...credential,
  response: z.looseObject({
    clientDataJSON: b64url(8192).min(1),
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
  deviceName: z.string().max(200).optional(),
  response: registrationResponse,
});
export const emptyBody = z.looseObject({});
export const loginVerifyBody = z.strictObject({ response: authenticationResponse });
export const renameBody = z.strictObject({ name: z.string().min(1).max(200) });
export const inviteBody = z.strictObject({ email: z.string().min(3).max(254), admin: z.boolean().optional() });
export const tokenBody = z.strictObject({ name: z.string().min(1).max(100) });
/** A change's base as an approval names it: the full id the change page shows. */
const baseId = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'base must be a full lowercase commit id');
/** `base`: a branch name, a full or abbreviated id; the request then asks for the change from there. */
export const requestBody = z.strictObject({ repo: z.string().min(1).max(200), commit: z.string().min(1).max(200), base: z.string().min(1).max(200).optional() });
export const approveOptionsBody = z.strictObject({ verdict: z.literal('approve'), base: baseId.optional() });
export const approveVerifyBody = z.strictObject({ approvalId: z.string().min(1).max(100), base: baseId.optional(), response: authenticationResponse });
