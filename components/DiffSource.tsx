'use client';

import { createContext, useContext, type ReactNode } from 'react';
import type { DiffSource } from '@/lib/ui/diff';

/**
 * Which review the diff on this page belongs to, given once for the whole diff instead of to
 * every file's loader (each prop is sent in the page's payload: hundreds of files add up).
 */
const Ctx = createContext<DiffSource | null>(null);

export function DiffSourceProvider({ source, children }: { source: DiffSource; children: ReactNode }) {
  return <Ctx.Provider value={source}>{children}</Ctx.Provider>;
}

export function useDiffSource(): DiffSource | null {
  return useContext(Ctx);
}
