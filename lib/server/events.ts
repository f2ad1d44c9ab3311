import { EventEmitter } from 'node:events';

/**
 * What happened in this server that other parts may react to: forge statuses (lib/forge),
 * notifications (lib/notify), other instances (LISTEN/NOTIFY). Emitters never wait on listeners;
 * a listener that throws or rejects is logged, never breaks the request that caused the event.
 */
export interface AppEventMap {
  /** A new note line was written to this instance's clone (an approval, not yet pushed perhaps). */
  'line-written': [{ repo: string; commit: string; notesRef: string; line: string; userId: string; base: string | null }];
  /** A review request was created or renewed (same id when renewed). */
  'request-upserted': [{ repo: string; requestId: string; commit: string; base: string | null; requestedBy: string }];
  /** A fetch from the repository's remote succeeded (branches and notes may have moved). */
  'fetched': [{ repo: string }];
}

export type AppEventName = keyof AppEventMap;

export class AppEvents {
  private readonly emitter = new EventEmitter();
  constructor(private readonly log: (l: string) => void = () => {}) {
    this.emitter.setMaxListeners(100);
  }

  on<K extends AppEventName>(name: K, listener: (...args: AppEventMap[K]) => unknown): () => void {
    const wrapped = (...args: AppEventMap[K]) => {
      try {
        const r = listener(...args);
        if (r && typeof (r as Promise<unknown>).catch === 'function') {
          (r as Promise<unknown>).catch((e) => this.log(`countersign: ${name} listener failed: ${(e as Error).message}`));
        }
      } catch (e) {
        this.log(`countersign: ${name} listener failed: ${(e as Error).message}`);
      }
    };
    this.emitter.on(name, wrapped as (...a: unknown[]) => void);
    return () => this.emitter.off(name, wrapped as (...a: unknown[]) => void);
  }

  emit<K extends AppEventName>(name: K, ...args: AppEventMap[K]): void {
    this.emitter.emit(name, ...args);
  }
}
