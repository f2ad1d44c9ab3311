import { describe, expect, it } from 'vitest';
import { buildCsp } from '../../lib/ui/csp';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

describe('content security policy', () => {
  const prod = directives(buildCsp('abc123==', { dev: false, https: true }));

  it('allows scripts only by nonce (and what they load), never inline or eval in production', () => {
    const s = prod.get('script-src')!;
    expect(s).toContain("'nonce-abc123=='");
    expect(s).toContain("'strict-dynamic'");
    expect(s).not.toContain("'unsafe-inline'");
    expect(s).not.toContain("'unsafe-eval'");
    expect(prod.get('style-src')).not.toContain("'unsafe-inline'");
  });

  it('forbids framing, plugins and foreign form targets', () => {
    expect(prod.get('frame-ancestors')).toEqual(["'none'"]);
    expect(prod.get('object-src')).toEqual(["'none'"]);
    expect(prod.get('form-action')).toEqual(["'self'"]);
    expect(prod.get('base-uri')).toEqual(["'self'"]);
  });

  it('lets the service worker and manifest load from the origin', () => {
    expect(prod.get('worker-src')).toEqual(["'self'"]);
    expect(prod.get('manifest-src')).toEqual(["'self'"]);
  });

  it('upgrades insecure requests only when served over https', () => {
    expect(prod.has('upgrade-insecure-requests')).toBe(true);
    expect(directives(buildCsp('n', { dev: false, https: false })).has('upgrade-insecure-requests')).toBe(false);
  });

  it('relaxes eval and inline styles in development only', () => {
    const dev = directives(buildCsp('n', { dev: true, https: false }));
    expect(dev.get('script-src')).toContain("'unsafe-eval'");
    expect(dev.get('style-src')).toContain("'unsafe-inline'");
  });
});
