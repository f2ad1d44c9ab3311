/**
 * The error code of a CountersignError, recognised by shape rather than `instanceof`: in a
 * production build the app singleton (created once, on globalThis) may come from another
 * bundle than the page, so its errors are instances of another copy of the class.
 */
export function countersignErrorCode(e: unknown): string | null {
  if (e && typeof e === 'object' && (e as { name?: unknown }).name === 'CountersignError') {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? code : null;
  }
  return null;
}
