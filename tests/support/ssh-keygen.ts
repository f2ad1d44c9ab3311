/**
 * Stock OpenSSH for tests and benchmarks: make keys, sign with `ssh-keygen -Y sign` and
 * verify with `ssh-keygen -Y verify`. Always argument arrays, never a shell.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parsePublicKeyText, type SshPublicKey } from '../../lib/ssh/public-key';

export const SSH_KEYGEN = process.env.SSH_KEYGEN ?? 'ssh-keygen';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], input?: Uint8Array | string, env?: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.on('error', () => {
      /* ssh-keygen may exit before reading stdin (e.g. a bad signature file) */
    });
    child.stdin.end(input ?? '');
  });
}

/** Runs async jobs with at most `n` in flight. */
export function limiter(n: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    if (active >= n || queue.length === 0) return;
    active++;
    queue.shift()!();
  };
  return <T>(job: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push(() =>
        job()
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          }),
      );
      next();
    });
}

export async function makeTempDir(prefix = 'countersign-ssh-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface KeygenKey {
  privatePath: string;
  publicPath: string;
  publicKeyText: string;
  key: SshPublicKey;
}

/** A fresh unencrypted key made by ssh-keygen. */
export async function makeKey(dir: string, type: 'ed25519' | 'ecdsa', name = `id_${type}`): Promise<KeygenKey> {
  const privatePath = path.join(dir, name);
  const args = ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', privatePath];
  if (type === 'ecdsa') args.push('-b', '256');
  const r = await run(SSH_KEYGEN, args);
  if (r.code !== 0) throw new Error(`ssh-keygen key generation failed: ${r.stderr}`);
  const publicKeyText = (await readFile(privatePath + '.pub', 'utf8')).trim();
  return { privatePath, publicPath: privatePath + '.pub', publicKeyText, key: parsePublicKeyText(publicKeyText) };
}

/** `ssh-keygen -Y sign` over stdin; returns the armored signature. */
export async function sshKeygenSign(privatePath: string, namespace: string, message: Uint8Array, hashAlg?: 'sha256' | 'sha512'): Promise<string> {
  const args = ['-Y', 'sign', '-f', privatePath, '-n', namespace];
  if (hashAlg) args.push('-O', `hashalg=${hashAlg}`);
  const r = await run(SSH_KEYGEN, args, message);
  if (r.code !== 0) throw new Error(`ssh-keygen -Y sign failed: ${r.stderr}`);
  return r.stdout;
}

export interface KeygenVerify {
  /** Files: written into `dir` if given as text. */
  allowedSigners: string;
  identity: string;
  namespace: string;
  /** Armored signature text (or raw bytes, written as-is). */
  signature: string | Uint8Array;
  message: Uint8Array;
  /** -Overify-time=…, e.g. 20260101000000Z. */
  verifyTime?: string;
  /** Extra environment, e.g. { TZ: 'Europe/Berlin' } for local-time option values. */
  env?: Record<string, string>;
}

/** `ssh-keygen -Y verify -f … -I … -n … -s … < message`; ok is exit status 0. */
export async function sshKeygenVerify(dir: string, v: KeygenVerify, tag = Math.random().toString(36).slice(2)): Promise<{ ok: boolean; output: string }> {
  const asPath = path.join(dir, `allowed_signers.${tag}`);
  const sigPath = path.join(dir, `sig.${tag}`);
  await writeFile(asPath, v.allowedSigners);
  await writeFile(sigPath, v.signature);
  const args = ['-Y', 'verify', '-f', asPath, '-I', v.identity, '-n', v.namespace, '-s', sigPath];
  if (v.verifyTime) args.push('-O', `verify-time=${v.verifyTime}`);
  try {
    const r = await run(SSH_KEYGEN, args, v.message, v.env);
    return { ok: r.code === 0, output: (r.stdout + r.stderr).trim() };
  } finally {
    await rm(asPath, { force: true });
    await rm(sigPath, { force: true });
  }
}
