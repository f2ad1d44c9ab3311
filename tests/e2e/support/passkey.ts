import type { BrowserContext, CDPSession, Page } from '@playwright/test';

/**
 * A real passkey for a real browser: Chromium's DevTools virtual authenticator, configured as a
 * phone's platform authenticator (internal, resident keys, user verification). Everything the
 * page does with navigator.credentials goes through Chromium's own WebAuthn stack.
 */
export interface VirtualPasskey {
  cdp: CDPSession;
  authenticatorId: string;
  credentials(): Promise<{ credentialId: string; rpId?: string; signCount: number }[]>;
  setUserVerified(verified: boolean): Promise<void>;
  remove(): Promise<void>;
}

/**
 * `userVerification: false` makes an authenticator that cannot verify its user at all (like an
 * old security key without a PIN); `isUserVerified: false` one that can, but whose check fails.
 */
export async function addVirtualPasskey(
  page: Page,
  opts: { userVerification?: boolean; isUserVerified?: boolean; context?: BrowserContext } = {},
): Promise<VirtualPasskey> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const hasUV = opts.userVerification ?? true;
  const isUV = hasUV && (opts.isUserVerified ?? true);
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: hasUV,
      isUserVerified: isUV,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials;
    },
    async setUserVerified(verified: boolean) {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: verified });
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}

/**
 * For page.addInitScript: a browser without passkey autofill (conditional mediation), so that
 * the sign-in page waits for its button. Chromium's virtual authenticator otherwise answers
 * the page's background autofill request at once, as if the person had picked the passkey.
 */
export function disableConditionalUI(): void {
  if (typeof PublicKeyCredential !== 'undefined') {
    Object.defineProperty(PublicKeyCredential, 'isConditionalMediationAvailable', { value: async () => false, configurable: true });
  }
}
