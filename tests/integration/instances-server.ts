/**
 * One Countersign instance as a real process, for the multi-instance tests: the app opened as
 * `next start` opens it (getApp: openApp, then the first admin's invite), serving the real route
 * handlers of app/api/** over a Node HTTP server on 127.0.0.1 — no Next.js build needed, and the
 * process can be killed with SIGKILL. Configuration comes from the environment (DATABASE_URL,
 * COUNTERSIGN_CONFIG, …); INSTANCE_PORT picks the port (0: any). Prints `LISTENING <port>`.
 *
 * Run: node --import tsx tests/integration/instances-server.ts
 */
import { readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getApp } from '../../lib/server/app';
import { installPeerAddressHook } from '../../lib/server/client-address';

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
interface RouteEntry {
  re: RegExp;
  names: string[];
  file: string;
  module?: Promise<Record<string, Handler>>;
}

const API = path.resolve(import.meta.dirname, '../../app/api');

/** app/api/repos/[repo]/commits/[commit]/route.ts → /api/repos/(?<repo>…)/commits/(?<commit>…) */
function routes(dir = API, segments: string[] = []): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...routes(full, [...segments, name]));
    else if (name === 'route.ts') {
      const names: string[] = [];
      const pattern = segments.map((s) => {
        const m = /^\[(\w+)\]$/.exec(s);
        if (!m) return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(m[1]);
        return '([^/]+)';
      });
      out.push({ re: new RegExp(`^/api/${pattern.join('/')}$`), names, file: full });
    }
  }
  return out;
}

async function main(): Promise<void> {
  installPeerAddressHook();
  const table = routes();
  await getApp();
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const entry = table.find((r) => r.re.test(url.pathname));
      if (!entry) {
        res.writeHead(404).end('{"error":"no such route"}');
        return;
      }
      entry.module ??= import(pathToFileURL(entry.file).href);
      const handler = (await entry.module)[req.method ?? 'GET'];
      if (!handler) {
        res.writeHead(405).end('{"error":"method not allowed"}');
        return;
      }
      const m = entry.re.exec(url.pathname)!;
      const params = Object.fromEntries(entry.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      const answer = await handler(new Request(`http://localhost${req.url}`, { method: req.method, headers, body }), { params: Promise.resolve(params) });
      const out: Record<string, string> = {};
      answer.headers.forEach((v, k) => (out[k] = v));
      res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
    } catch (e) {
      res.writeHead(500).end(JSON.stringify({ error: (e as Error).message }));
    }
  });
  server.listen(Number(process.env.INSTANCE_PORT ?? 0), '127.0.0.1', () => {
    const addr = server.address();
    console.log(`LISTENING ${typeof addr === 'object' && addr ? addr.port : 0}`);
  });
}

main().catch((e) => {
  console.error(`instance failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
