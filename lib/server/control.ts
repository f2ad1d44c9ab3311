import { chmodSync, existsSync, mkdtempSync, rmdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CountersignError, isCountersignError } from '../errors';

/**
 * A local control channel so the CLI can act while the server holds the embedded database
 * (PGlite allows one process per data directory): a Unix socket, owner-only (mode 0600, in the
 * 0700 data directory), one JSON request line → one JSON response line. Nothing listens on the
 * network; whoever can open the socket could read the database file anyway.
 */

export const controlRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('invite'), email: z.string().max(254), admin: z.boolean().default(false), ttlMs: z.number().int().positive().optional() }),
  z.object({ op: z.literal('request'), repo: z.string().max(200), commit: z.string().max(200), base: z.string().max(200).optional(), requestedBy: z.string().max(300) }),
  z.object({ op: z.literal('ping') }),
]);
export type ControlRequest = z.infer<typeof controlRequestSchema>;
export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

const MAX_LINE = 64 * 1024;

const PRIVATE_DIR_PREFIX = 'countersign-control-';

/**
 * Where the socket lives: in the (0700) data dir when the path fits a sockaddr_un; else in a
 * fresh private directory (mkdtemp: unpredictable name, mode 0700) under tmp — never at a name
 * someone else could guess and take first. The lock file records the path for the CLI.
 */
export function controlSocketPath(dataDir: string): string {
  const p = path.join(dataDir, 'control.sock');
  if (Buffer.byteLength(p) < 100) return p;
  const dir = mkdtempSync(path.join(tmpdir(), PRIVATE_DIR_PREFIX));
  chmodSync(dir, 0o700);
  return path.join(dir, 'control.sock');
}

/** Removes the socket, and the private directory made for it. */
export function removeControlSocket(socketPath: string): void {
  try {
    unlinkSync(socketPath);
  } catch {
    /* gone */
  }
  const dir = path.dirname(socketPath);
  if (path.dirname(dir) === tmpdir() && path.basename(dir).startsWith(PRIVATE_DIR_PREFIX)) {
    try {
      rmdirSync(dir);
    } catch {
      /* not empty or gone */
    }
  }
}

export async function startControlServer(socketPath: string, handler: ControlHandler): Promise<{ close(): Promise<void> }> {
  // We hold the data-dir lock, so a socket file left here is from a process that died.
  if (existsSync(socketPath)) unlinkSync(socketPath);
  const server = net.createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', async (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        sock.end(JSON.stringify({ ok: false, code: 'bad-input', error: 'request too large' }) + '\n');
        return;
      }
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = '';
      let reply: unknown;
      try {
        const parsed = controlRequestSchema.safeParse(JSON.parse(line));
        if (!parsed.success) throw new CountersignError('bad-input', `bad control request: ${parsed.error.issues[0]?.message}`);
        reply = { ok: true, result: await handler(parsed.data) };
      } catch (e) {
        reply = isCountersignError(e)
          ? { ok: false, code: e.code, error: e.message }
          : { ok: false, code: 'tool-failed', error: `the server failed: ${(e as Error).message}` };
      }
      sock.end(JSON.stringify(reply) + '\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Created owner-only: the umask covers the moment between bind() and the chmod below (the
    // 0700 directory around it already keeps others out). bind() happens inside listen(), at once.
    const umask = setUmask(0o177);
    try {
      server.listen(socketPath, () => resolve());
    } finally {
      if (umask !== null) setUmask(umask);
    }
  });
  chmodSync(socketPath, 0o600);
  server.unref();
  // A normal stop (next start exits on SIGINT/SIGTERM) removes the socket too: a socket file left
  // in the project's data directory makes a later `next build` fail reading it.
  const onExit = () => removeControlSocket(socketPath);
  process.once('exit', onExit);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        process.off('exit', onExit);
        server.close(() => resolve());
        removeControlSocket(socketPath);
      }),
  };
}

/** process.umask(mask), or null where it cannot be set (worker threads). */
function setUmask(mask: number): number | null {
  try {
    return process.umask(mask);
  } catch {
    return null;
  }
}

export async function callControl<T = unknown>(socketPath: string, req: ControlRequest, timeoutMs = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new CountersignError('tool-failed', `the running server did not answer on ${socketPath} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (c: string) => (buf += c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(new CountersignError('tool-failed', `cannot reach the running server on ${socketPath}: ${e.message}`));
    });
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        const reply = JSON.parse(buf);
        if (reply.ok) resolve(reply.result as T);
        else reject(new CountersignError(reply.code ?? 'tool-failed', reply.error ?? 'the server refused'));
      } catch {
        reject(new CountersignError('tool-failed', 'the running server sent an unreadable reply'));
      }
    });
  });
}
