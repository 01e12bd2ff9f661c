/**
 * Every wait settles by its own deadline, whatever the connection does. A wait's work (creates,
 * listings, watches) may be stuck behind a dead link for minutes; the caller's promise must not
 * be. `settleByDeadline` answers the caller at the deadline or abort, and lets the work finish
 * in the background under an aborted signal, handing anything it still produced to `discard`
 * (e.g. delete the node, release the lease) so that nothing is left behind.
 */

/** Options of {@link settleByDeadline}. */
export interface DeadlineOptions<T> {
  /** Epoch ms at which the caller gets `onTimeout()`; undefined waits without a limit. */
  readonly deadline?: number;
  /** The caller's signal: its abort rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** The error the caller gets at the deadline. */
  readonly onTimeout: () => Error;
  /** Undoes a result that arrived after the caller was answered. */
  readonly discard: (late: T) => Promise<unknown> | undefined;
}

/**
 * Runs `work(signal)`; its `signal` aborts at the deadline or when the caller's signal aborts,
 * and the returned promise settles at that moment (not when the work notices).
 */
export function settleByDeadline<T>(work: (signal: AbortSignal) => Promise<T>, options: DeadlineOptions<T>): Promise<T> {
  const controller = new AbortController();
  const { deadline, signal } = options;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    };
    const stop = (reason: unknown) => {
      if (settled) return;
      cleanup();
      controller.abort(reason);
      reject(reason);
    };
    const onCallerAbort = () => stop(signal?.reason);
    if (signal?.aborted) return stop(signal.reason);
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (deadline !== undefined) timer = setTimeout(() => stop(options.onTimeout()), Math.max(0, deadline - Date.now()));
    let running: Promise<T>;
    try {
      running = work(controller.signal);
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (value) => {
        if (settled) {
          void Promise.resolve(options.discard(value)).catch(() => undefined);
          return;
        }
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return; // the caller was answered already; the work's own cleanup ran
        cleanup();
        reject(error);
      },
    );
  });
}
