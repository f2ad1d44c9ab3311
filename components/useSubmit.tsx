'use client';

import { useState } from 'react';

/** The text to show for whatever an action threw (API errors carry the server's actionable message). */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Busy and error state of a form's action. `run` disables the form while the action runs and
 * clears the last error first; what the action throws becomes the shown error, then `onError`
 * runs (e.g. to close a confirmation). Validation before `run` can set an error with `setError`.
 */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(action: () => Promise<void>, onError?: () => void): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e));
      onError?.();
    } finally {
      setBusy(false);
    }
  }

  return { busy, error, setError, run };
}

/** A form's error line, announced when it appears; nothing while there is no error. */
export function FormError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p role="alert" className="text-sm text-bad">
      {error}
    </p>
  );
}
