/**
 * The timing primitives every wait is made of, written once: a sleep that an abort cuts short
 * (or turns into a rejection), and a race of a promise against a deadline. No listener or timer
 * outlives the call.
 */

/**
 * Resolves after `ms`. When `signal` aborts first: rejects with its reason (`onAbort: 'reject'`,
 * the default) or resolves early (`'resolve'`, for loops that check their own state). A signal
 * aborted already settles at once (a listener added to it would never fire). `wake`, when given,
 * receives a function that ends the sleep early (a wake-up), resolving.
 */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  onAbort: 'reject' | 'resolve' = 'reject',
  wake?: (early: () => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => (onAbort === 'reject' ? reject(signal?.reason) : resolve());
    if (signal?.aborted) {
      aborted();
      return;
    }
    const end = (settle: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onSignal);
      settle();
    };
    const onSignal = () => end(aborted);
    const timer = setTimeout(() => end(resolve), ms);
    signal?.addEventListener('abort', onSignal, { once: true });
    wake?.(() => end(resolve));
  });
}

/** Settles as `promise` does, or rejects with `onTimeout()` at `deadline` (epoch ms), whichever comes first. */
export function raceDeadline<T>(promise: Promise<T>, deadline: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** How long a wait that gave up may spend removing what it made while connected: min(1 s, its timeout). */
export function cleanupGraceMs(timeoutMs: number | undefined): number {
  return Math.min(1000, timeoutMs ?? 1000);
}

/**
 * A promise `start` settles, that rejects with `onTimeout()` after `timeoutMs` (undefined: no
 * limit) or with the signal's reason on abort, whichever comes first; `start`'s clean-up (the
 * function it returns) runs either way.
 */
export function settleWithin<T>(
  start: (resolve: (v: T) => void, reject: (e: unknown) => void) => (() => void) | undefined,
  timeoutMs: number | undefined,
  onTimeout: () => unknown,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let cleanupStart: (() => void) | undefined;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      cleanupStart?.();
      fn();
    };
    const onAbort = () => finish(() => reject(signal?.reason));
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish(() => reject(onTimeout())), timeoutMs);
    if (signal?.aborted) return finish(() => reject(signal.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanupStart = start(
      (v) => finish(() => resolve(v)),
      (e) => finish(() => reject(e)),
    );
    if (done) cleanupStart?.();
  });
}
