/**
 * The Content-Security-Policy for pages, with a per-request nonce: Next puts the nonce on
 * its own scripts and inline bootstrap, and 'strict-dynamic' lets those load the rest of the
 * bundle. No 'unsafe-inline' for scripts or styles in production: the pages use no style
 * attributes (colours come from classes and SVG fill attributes).
 */
export function buildCsp(nonce: string, { dev, https }: { dev: boolean; https: boolean }): string {
  const directives = [
    `default-src 'self'`,
    // 'unsafe-eval' in development only: React rebuilds server error stacks with eval there.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? ` 'unsafe-eval'` : ''}`,
    // Development injects styles at run time for hot reloading.
    `style-src 'self'${dev ? ` 'unsafe-inline'` : ` 'nonce-${nonce}'`}`,
    `img-src 'self' data: blob:`,
    `font-src 'self'`,
    `connect-src 'self'`,
    // Spelled out: with 'strict-dynamic' in script-src, 'self' there would not cover the service worker.
    `worker-src 'self'`,
    `manifest-src 'self'`,
    `object-src 'none'`,
    `base-uri 'self'`,
    `form-action 'self'`,
    `frame-ancestors 'none'`,
    ...(https ? ['upgrade-insecure-requests'] : []),
  ];
  return directives.join('; ');
}
