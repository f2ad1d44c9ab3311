import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { CountersignError } from '../errors';
import { oneLine } from './exit';

/**
 * Signs `message` with an existing SSH key through stock `ssh-keygen -Y sign` (argument array,
 * message on stdin, armored signature on stdout). `keyPath` may be a private key or, with an
 * ssh-agent holding the key, its public key. A passphrase prompt goes to the terminal, as ssh-keygen does it.
 */
export async function sshKeygenSign(keyPath: string, namespace: string, message: Uint8Array): Promise<string> {
  try {
    await access(keyPath);
  } catch {
    throw new CountersignError('bad-input', `key file ${keyPath} does not exist or cannot be read`);
  }
  if (keyPath.startsWith('-')) throw new CountersignError('bad-input', `key path ${JSON.stringify(keyPath)} must not start with "-" (write ./${keyPath})`);
  return new Promise((resolve, reject) => {
    const child = spawn('ssh-keygen', ['-q', '-Y', 'sign', '-f', keyPath, '-n', namespace], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {});
    child.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? 'ssh-keygen is not installed or not on PATH (install openssh-client)' : e.message;
      reject(new CountersignError('tool-failed', `cannot run ssh-keygen: ${why}`, { cause: e }));
    });
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8').replace(/^Signing data on standard input\s*$/m, '');
      if (code !== 0) {
        reject(new CountersignError('tool-failed', `ssh-keygen could not sign with ${keyPath}: ${oneLine(stderr) || `exit code ${code}`}`));
        return;
      }
      resolve(Buffer.concat(out).toString('utf8'));
    });
    child.stdin.end(Buffer.from(message));
  });
}

/** The key type names ssh-keygen prints ("Good ... with ED25519 key ..."). */
export function sshKeygenTypeName(type: string): string {
  const names: Record<string, string> = {
    'ssh-ed25519': 'ED25519',
    'sk-ssh-ed25519@openssh.com': 'ED25519-SK',
    'ecdsa-sha2-nistp256': 'ECDSA',
    'ecdsa-sha2-nistp384': 'ECDSA',
    'ecdsa-sha2-nistp521': 'ECDSA',
    'sk-ecdsa-sha2-nistp256@openssh.com': 'ECDSA-SK',
    'ssh-rsa': 'RSA',
  };
  return names[type] ?? type;
}
