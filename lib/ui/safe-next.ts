/**
 * After sign-in the app returns to the page the user came from (`?next=/r/demo/abc`).
 * Only same-origin paths are accepted: anything else (other hosts, protocol-relative
 * `//evil`, back-slash tricks, control characters) falls back to the inbox.
 */
export function safeNextPath(raw: string | null | undefined, fallback = '/'): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2000) return fallback;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return fallback;
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return fallback;
  return raw;
}
