/**
 * The one way recipes wait on a one-shot watch: it ends on the watch's event, a reconnect or a
 * session loss (so the caller re-reads), an optional extra wake-up, or the deadline — and never
 * leaves a timer or listener behind.
 */
import { settleWithin } from '../core/timing.js';
import type { ZkClient } from './client.js';
import { ConnectionState } from './connection-state.js';
import type { WatchEvent } from './types.js';

/**
 * The reason an internal wait aborts its own per-iteration signal with once it is over. Without
 * one, `abort()` builds a DOMException (with a stack trace) on every hand-off.
 */
export const WAIT_OVER: Error = new Error('zk-recipes: internal wait over');

/** Options of {@link waitForWatch}. */
export interface WatchWaitOptions {
  /** Epoch ms; past it the wait rejects with `onTimeout()`. */
  readonly deadline?: number;
  /** Makes the error thrown when the deadline passes. */
  readonly onTimeout: () => Error;
  /** Another reason to wake (e.g. a semaphore's limit changed); returns an unsubscribe function. */
  readonly subscribe?: (wake: () => void) => () => void;
}

/** Resolves to the watch event, or undefined when a reconnect, loss or `subscribe` woke us first. */
export async function waitForWatch(
  client: ZkClient,
  changed: Promise<WatchEvent>,
  options: WatchWaitOptions,
): Promise<WatchEvent | undefined> {
  const remaining = options.deadline === undefined ? undefined : options.deadline - Date.now();
  if (remaining !== undefined && remaining <= 0) throw options.onTimeout();
  return settleWithin<WatchEvent | undefined>(
    (resolve, reject) => {
      changed.then(resolve, reject);
      const offState = client.on('state', (state) => {
        if (state === ConnectionState.RECONNECTED || state === ConnectionState.LOST) resolve(undefined);
      });
      const offWake = options.subscribe?.(() => resolve(undefined));
      return () => {
        offState();
        offWake?.();
      };
    },
    remaining,
    options.onTimeout,
  );
}
