/**
 * Turns what the browser or @simplewebauthn/browser throws during a passkey ceremony into
 * one sentence that says what happened and what to do. Kept free of browser imports so it
 * can be tested in Node: it looks only at `name`, `code` and `message`.
 */

export type Ceremony = 'register' | 'authenticate';

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

function field(e: unknown, key: keyof ErrorLike): string {
  if (e && typeof e === 'object' && key in e) {
    const v = (e as ErrorLike)[key];
    return typeof v === 'string' ? v : '';
  }
  return '';
}

export function passkeyErrorMessage(error: unknown, ceremony: Ceremony): string {
  const code = field(error, 'code');
  // WebAuthnError takes its cause's name, but a wrapped DOMException may also sit under `cause`.
  const own = field(error, 'name');
  const name = own && own !== 'Error' ? own : field((error as ErrorLike | null)?.cause, 'name') || own;
  switch (code) {
    case 'ERROR_CEREMONY_ABORTED':
      return 'The passkey request was cancelled. Try again.';
    case 'ERROR_INVALID_DOMAIN':
      return 'Passkeys need a secure address: open the app over https (or on localhost).';
    case 'ERROR_INVALID_RP_ID':
      return "This address does not match the server's configured passkey domain (RP ID). Open the app at its configured address.";
    case 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED':
      return 'This authenticator already holds a passkey for your account. Use another device, or sign in with this one.';
    case 'ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG':
      return 'This authenticator cannot make an ES256 (P-256) key, which Countersign needs for OpenSSH signatures. Use another passkey provider.';
    case 'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT':
      return 'This authenticator cannot verify you (PIN, fingerprint or face), which Countersign requires. Use a device with a screen lock or biometrics.';
    case 'ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT':
      return 'This authenticator cannot store a passkey (discoverable credential). Use a phone, a computer with a screen lock, or a newer security key.';
    case 'ERROR_AUTHENTICATOR_GENERAL_ERROR':
      return 'The authenticator could not complete the request. Try again, or use another device.';
  }
  if (name === 'NotAllowedError' || name === 'AbortError') {
    // Browsers report "cannot verify the user" exactly like a cancelled prompt (NotAllowedError,
    // so a page cannot probe the device): name that cause too, since Countersign requires it.
    return ceremony === 'register'
      ? 'No passkey was created: the request was cancelled or timed out, or this device could not verify you (fingerprint, face, PIN or screen lock), which Countersign requires. Try again, or use a device with a screen lock.'
      : 'No passkey was used: the request was cancelled or timed out, this device could not verify you (fingerprint, face, PIN or screen lock), which Countersign requires, or it has no passkey for Countersign.';
  }
  if (name === 'InvalidStateError') {
    return 'This authenticator already holds a passkey for your account.';
  }
  if (name === 'NotSupportedError') {
    return 'This browser or authenticator does not support the passkey type Countersign needs (ES256 with user verification).';
  }
  if (name === 'SecurityError') {
    return 'The browser refused the passkey request for this address. Open the app at its configured https address.';
  }
  const message = field(error, 'message');
  return message ? message : 'Something went wrong with the passkey. Try again.';
}
