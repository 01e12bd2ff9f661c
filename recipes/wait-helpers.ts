/**
 * Small helpers shared by the barrier recipes: one wait on a watch that also ends on a deadline,
 * an abort, or a reconnect/loss, and never leaves a listener behind.
 */
import { ConnectionState, type WatchEvent, type ZkClient } from '../src/index.js';

/** Waits for `changed`, a RECONNECTED/LOST state, the deadline (rejects with `onTimeout()`) or abort. */
export async function waitForWatch(
  client: ZkClient,
  changed: Promise<WatchEvent>,
  options: { signal?: AbortSignal; deadline?: number; onTimeout: () => Error },
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let offState: (() => void) | undefined;
  try {
    const remaining = options.deadline === undefined ? undefined : options.deadline - Date.now();
    if (remaining !== undefined && remaining <= 0) throw options.onTimeout();
    await Promise.race([
      changed,
      new Promise<void>((resolve) => {
        offState = client.on('state', (s) => {
          if (s === ConnectionState.RECONNECTED || s === ConnectionState.LOST) resolve();
        });
      }),
      ...(remaining === undefined
        ? []
        : [new Promise<never>((_, reject) => (timer = setTimeout(() => reject(options.onTimeout()), remaining)))]),
    ]);
  } finally {
    clearTimeout(timer);
    offState?.();
  }
}

/** Resolves the deadline of an optional timeout. */
export function deadlineOf(timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
}
