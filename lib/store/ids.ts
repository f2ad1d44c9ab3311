import { createHash, randomBytes } from 'node:crypto';

/** Random identifiers and secrets: base64url of fresh random bytes. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function newId(): string {
  return randomToken(16);
}

/** Secrets (invite, session, API tokens) are stored only as their SHA-256. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
