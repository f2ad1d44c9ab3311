import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseAllowedSignersLenient } from '../../allowed-signers';
import { CountersignError } from '../../errors';
import { dearmorSshSig, verifySshSig } from '../../sshsig';
import { flag, list, parseCommandArgs, requireStr } from '../args';
import { EXIT_FAILED, EXIT_OK, oneLine } from '../exit';
import { readAll, type CliIO } from '../io';
import { sshKeygenTypeName } from '../ssh-keygen';
import type { Command } from './types';

const HELP = `usage: countersign verify-sig -f ALLOWED_SIGNERS -I IDENTITY -n NAMESPACE -s SIGFILE [options] < MESSAGE

Verifies an armored SSH signature of the message on stdin, in-process, with the arguments and
the verdict of \`ssh-keygen -Y verify\` (exit 0 good, non-zero bad). Passkey and security-key
signatures can additionally be held to policy, which stock ssh-keygen does not check:

  -f FILE          allowed_signers file (OpenSSH format)
  -I IDENTITY      the principal the signature must be good for
  -n NAMESPACE     the namespace it was made under
  -s SIGFILE       the armored signature (-----BEGIN SSH SIGNATURE-----)
  --require-uv     require the user-verified flag (passkey / sk signatures)
  --require-up     require the user-present flag (passkey / sk signatures)
  --origin URL     require this WebAuthn origin (repeat to allow several)
  -h, --help       this help
`;

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
    throw new CountersignError('bad-input', `${what} ${path} ${why}`);
  }
}

export const verifySigCommand: Command = {
  name: 'verify-sig',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(
      'verify-sig',
      argv,
      {
        f: { type: 'string', short: 'f' },
        I: { type: 'string', short: 'I' },
        n: { type: 'string', short: 'n' },
        s: { type: 'string', short: 's' },
        'require-uv': { type: 'boolean' },
        'require-up': { type: 'boolean' },
        origin: { type: 'string', multiple: true },
      },
      { min: 0, max: 0 },
    );
    if (args.help) {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    const signersPath = resolve(io.cwd, requireStr('verify-sig', args, 'f', '-f ALLOWED_SIGNERS'));
    const identity = requireStr('verify-sig', args, 'I', '-I IDENTITY');
    const namespace = requireStr('verify-sig', args, 'n', '-n NAMESPACE');
    const sigPath = resolve(io.cwd, requireStr('verify-sig', args, 's', '-s SIGFILE'));
    const origins = list(args, 'origin');
    for (const o of origins) {
      let ok = false;
      try {
        ok = new URL(o).origin === o;
      } catch {}
      if (!ok) throw new CountersignError('bad-input', `verify-sig: --origin ${JSON.stringify(o)} is not an origin such as https://sign.example.org`);
    }

    // Lenient, as ssh-keygen: a bad line can never authorise anything but does not hide a later good one.
    const { signers: allowedSigners, problems } = parseAllowedSignersLenient((await readInput(signersPath, 'allowed signers file')).toString('utf8'), signersPath);
    // The file's bytes, as ssh-keygen loads them (sshbuf_load_file) before sshsig_dearmor.
    const signature = dearmorSshSig(await readInput(sigPath, 'signature file'));
    const message = new Uint8Array(await readAll(io.stdin));

    const result = verifySshSig({
      signature,
      message,
      namespace,
      allowedSigners,
      identity,
      requireUserPresence: flag(args, 'require-up'),
      requireUserVerification: flag(args, 'require-uv'),
      origins: origins.length ? origins : undefined,
    });
    if (!result.ok) {
      const skipped = problems.length ? ` (skipped ${problems.map((p) => p.message).join('; ')})` : '';
      io.stderr.write(`countersign: Could not verify signature: ${oneLine(result.reason + skipped)}\n`);
      return EXIT_FAILED;
    }
    io.stdout.write(`Good "${namespace}" signature for ${identity} with ${sshKeygenTypeName(result.key.type)} key ${result.fingerprint}\n`);
    return EXIT_OK;
  },
};
