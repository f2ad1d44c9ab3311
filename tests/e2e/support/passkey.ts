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

export async function addVirtualPasskey(
  page: Page,
  opts: { userVerification?: boolean; context?: BrowserContext } = {},
): Promise<VirtualPasskey> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const hasUV = opts.userVerification ?? true;
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: hasUV,
      isUserVerified: hasUV,
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
