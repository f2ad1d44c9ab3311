/**
 * Small pure helpers for enrolling a passkey: a default device name guessed from the
 * browser, and the shell commands that add a key line to a repository's allowed_signers.
 */

/** A friendly default name for this device ("iPhone", "Android phone", "Mac", …). */
export function guessDeviceName(userAgent: string): string {
  const ua = userAgent || '';
  if (/iPhone/.test(ua)) return 'iPhone';
  if (/iPad/.test(ua)) return 'iPad';
  if (/Android/.test(ua)) return /Mobile/.test(ua) ? 'Android phone' : 'Android tablet';
  if (/Macintosh|Mac OS X/.test(ua)) return 'Mac';
  if (/Windows/.test(ua)) return 'Windows PC';
  if (/CrOS/.test(ua)) return 'Chromebook';
  if (/Linux/.test(ua)) return 'Linux computer';
  return 'My device';
}

/** POSIX single-quoting: safe for any text, including quotes inside. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export const ALLOWED_SIGNERS_PATH = '.countersign/allowed_signers';

/** The commands, run in a clone of the repository, that add one key line and commit it. */
export function addSignerCommands(line: string, email: string, deviceName: string): string {
  const msg = `countersign: trust ${email} (${deviceName})`;
  return [
    'mkdir -p .countersign',
    `printf '%s\\n' ${shellQuote(line)} >> ${ALLOWED_SIGNERS_PATH}`,
    `git add ${ALLOWED_SIGNERS_PATH}`,
    `git commit -m ${shellQuote(msg)}`,
  ].join('\n');
}
