/**
 * The waiting rule of every TTL backend's lock (docs/design.md §8), once: take a place in line, then look
 * again when woken — a message to this waiter alone (Redis: a PUBLISH on its connection's channel;
 * PostgreSQL: a NOTIFY on its listener's channel) — or after a bounded re-check, so a lost
 * wake-up costs latency, never a hang. Each look also keeps our place alive: a waiter that stops
 * looking is skipped once its entry expires.
 */

import { sleep } from '../core/timing.js';
import type { WaitTrace } from '../core/wait-trace.js';

/** Where wake-ups come from: one listening connection shared by the waiters of a client or pool. */
export interface WakeSource {
  /** True when wake-ups can reach us now. */
  readonly listening: boolean;
  /** Starts listening (once), by `deadline` (epoch ms). */
  subscribe(deadline: number): Promise<void>;
  /** Calls `wake` when the line says `waiterId`'s turn may have come; returns how to stop. */
  register(waiterId: string, wake: () => void): () => void;
}

/** One look at the line: granted (with what the backend grants), or how long the owner may hold on. */
export type TurnLook<G> = { readonly granted: G } | { readonly ownerTtlMs: number };

/** What {@link waitForTurn} needs. */
export interface TurnWaitOptions<G> {
  readonly waiterId: string;
  readonly source: WakeSource;
  /** Looks at the line, joining it (or refreshing our entry) if it is not our turn. */
  readonly look: () => Promise<TurnLook<G>>;
  /** Removes our place in line (and a grant that came too late); called when the wait fails. */
  readonly leave: () => Promise<void>;
  /** True for errors worth trying again (no answer, the server busy). */
  readonly isTransient: (error: unknown) => boolean;
  readonly recheckMs: number;
  /** Deadline of the subscription, from when it starts. */
  readonly subscribeTimeoutMs: number;
  readonly signal?: AbortSignal;
  /** Where the last transient error is noted (cleared by the next answer). */
  readonly trace?: WaitTrace;
}

/** Resolves after `ms`, early when `arm`'s resolver is called; rejects when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal | undefined, arm: (resolve: () => void) => void): Promise<void> {
  return sleep(ms, signal, 'reject', arm);
}

/** Waits for our turn; on error or abort, leaves the line (best effort) and rethrows. */
export async function waitForTurn<G>(options: TurnWaitOptions<G>): Promise<G> {
  const { source, signal, recheckMs } = options;
  let woken = false;
  let wakeUp: (() => void) | undefined;
  const unregister = source.register(options.waiterId, () => {
    woken = true;
    wakeUp?.();
  });
  let retryMs = 10;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const listening = source.listening;
      woken = false;
      let look: TurnLook<G>;
      try {
        look = await options.look();
        if (!listening) await source.subscribe(Date.now() + options.subscribeTimeoutMs);
      } catch (error) {
        if (!options.isTransient(error)) throw error;
        if (options.trace) options.trace.lastError = error;
        await pause(retryMs, signal, () => undefined);
        retryMs = Math.min(retryMs * 2, recheckMs);
        continue;
      }
      retryMs = 10;
      if (options.trace) options.trace.lastError = undefined;
      if ('granted' in look && look.granted !== undefined) return look.granted;
      // Not listening when we joined: a wake-up may have gone out before we listened, look again now.
      if (!listening || woken) continue;
      // A holder that died is released by nobody: look again when its lease runs out.
      const ownerTtlMs = 'ownerTtlMs' in look ? look.ownerTtlMs : 0;
      const delay = ownerTtlMs > 0 ? Math.min(recheckMs, ownerTtlMs + 1) : recheckMs;
      await pause(delay, signal, (resolve) => {
        wakeUp = resolve;
      });
      wakeUp = undefined;
    }
  } catch (error) {
    await options.leave().catch(() => undefined);
    throw error;
  } finally {
    unregister();
  }
}
