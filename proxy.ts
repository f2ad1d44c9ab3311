import { NextResponse, type NextRequest } from 'next/server';
import { buildCsp } from './lib/ui/csp';

/**
 * Refuses malformed paths (below), and for pages sets the Content-Security-Policy (lib/ui/csp.ts) with a fresh nonce per request. Next reads
 * the nonce from the request's CSP header and puts it on its own scripts. Every page is
 * rendered per request (the layout reads the session), as nonces require.
 */
export function proxy(request: NextRequest) {
  const malformed = malformedPath(request.url);
  if (malformed) return malformed;
  if (request.nextUrl.pathname.startsWith('/api/')) return NextResponse.next();
  const nonce = btoa(crypto.randomUUID());
  const csp = buildCsp(nonce, {
    dev: process.env.NODE_ENV === 'development',
    https: request.nextUrl.protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https',
  });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('Content-Security-Policy', csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('Content-Security-Policy', csp);
  return response;
}

/**
 * A path segment that is not valid percent-encoding (`/api/signers/%E0%A4%A`, `/r/demo/%ff`)
 * makes Next.js itself fail with a bare 500 before any route handler runs, so it is refused here,
 * first: a 400 with `{error}` for the API, a short text otherwise.
 */
export function malformedPath(url: string): Response | null {
  const raw = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(url)?.[1] ?? '';
  for (const segment of raw.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return refuse(raw, 'the address is not valid percent-encoding');
    }
    if (/[\u0000-\u001f\u007f]/.test(decoded)) return refuse(raw, 'the address contains control characters');
  }
  return null;
}

function refuse(path: string, message: string): Response {
  const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  if (path.startsWith('/api/')) return Response.json({ error: message }, { status: 400, headers });
  return new Response(`Bad request: ${message}.\n`, { status: 400, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' } });
}

export const config = {
  matcher: [
    // Every API request, for the path check alone.
    '/api/:path*',
    {
      // Pages only: API responses are JSON or text and static files carry no script.
      source: '/((?!api/|_next/static|_next/image|icons/|sw\\.js|manifest\\.webmanifest|favicon\\.ico).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
