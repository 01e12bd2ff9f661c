import { ConnectionLossError, LockTimeoutError } from './errors.js';
import { describeBlock, type WaitTrace } from './wait-trace.js';
import { cleanupGraceMs } from './timing.js';

/**
 * Every wait settles by its own deadline, whatever the connection does. A wait's work (creates,
 * listings, watches) may be stuck behind a dead link for minutes; the caller's promise must not
 * be. At the deadline (or the caller's abort) `settleByDeadline` aborts the work's signal; while
 * the server answers it lets the work remove what it made first (bounded by `graceMs`), so the
 * usual "rejected, and no node left" holds; otherwise it answers at once and lets the work finish
 * in the background, handing anything it still produced to `discard`.
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
  /** True while the server answers: then the work may clean up before the caller is answered. */
  readonly connected?: () => boolean;
  /** The most the caller waits past the deadline for that clean-up. @default 1000 */
  readonly graceMs?: number;
}

/**
 * Runs `work(signal)`; its `signal` aborts at the deadline or when the caller's signal aborts,
 * and the returned promise settles then (after at most `graceMs` of clean-up while connected).
 */
export function settleByDeadline<T>(work: (signal: AbortSignal | undefined) => Promise<T>, options: DeadlineOptions<T>): Promise<T> {
  const { deadline, signal } = options;
  // Nothing can stop this wait: run the work as it is (no controller, no wrapper on a hot path).
  if (deadline === undefined && signal === undefined) return work(undefined);
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let stopReason: { error: unknown } | undefined;
    const answer = (fn: () => void) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      signal?.removeEventListener('abort', onCallerAbort);
      fn();
    };
    const stop = (reason: unknown) => {
      if (answered || stopReason) return;
      stopReason = { error: reason };
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
      controller.abort(reason);
      if (options.connected?.() === true) {
        graceTimer = setTimeout(() => answer(() => reject(reason)), options.graceMs ?? 1000);
      } else answer(() => reject(reason));
    };
    const onCallerAbort = () => stop(signal?.reason);
    if (signal?.aborted) {
      // Nothing was started, so there is nothing to clean up: answer at once.
      answered = true;
      reject(signal.reason);
      return;
    }
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
        if (answered || stopReason) {
          // Granted after the caller gave up: undo it (in the background if already answered).
          const undo = Promise.resolve(options.discard(value)).catch(() => undefined);
          if (!answered) undo.then(() => answer(() => reject(stopReason?.error)));
          return;
        }
        answer(() => resolve(value));
      },
      (error: unknown) => {
        // After a stop, the caller gets the stop's reason whatever the work threw while unwinding.
        answer(() => reject(stopReason ? stopReason.error : error));
      },
    );
  });
}

/**
 * When a wait with `timeoutMs` must answer, and how long it may spend removing its node first
 * (while connected). A try (`timeoutMs` 0) answers within the operation timeout, clean-up
 * included; a timed wait answers at its deadline plus at most min(1 s, timeoutMs) of clean-up.
 */
export function waitBudget(
  timeoutMs: number | undefined,
  operationTimeoutMs: number,
  started = Date.now(),
): { deadline: number | undefined; graceMs: number } {
  if (timeoutMs === undefined) return { deadline: undefined, graceMs: 1000 };
  if (timeoutMs === 0) {
    const graceMs = Math.min(1000, Math.floor(operationTimeoutMs / 4));
    return { deadline: started + operationTimeoutMs - graceMs, graceMs };
  }
  return { deadline: started + timeoutMs, graceMs: cleanupGraceMs(timeoutMs) };
}

/**
 * A wait on a client that settles at `timeoutMs` (with `onTimeout()`) or on abort whatever the
 * connection does, giving its work at most min(1 s, timeoutMs) to clean up while connected.
 * `work` gets the wait's deadline (epoch ms) and the signal that stops it.
 */
export function settleClientWait<T>(
  client: { readonly connected: boolean },
  options: {
    readonly timeoutMs?: number;
    readonly signal?: AbortSignal;
    readonly onTimeout: () => Error;
    readonly discard?: (late: T) => Promise<unknown> | undefined;
  },
  work: (deadline: number | undefined, signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  const { timeoutMs } = options;
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  return settleByDeadline((signal) => work(deadline, signal), {
    deadline,
    signal: options.signal,
    onTimeout: options.onTimeout,
    connected: () => client.connected,
    graceMs: cleanupGraceMs(timeoutMs),
    discard: options.discard ?? (() => undefined),
  });
}

/** A client's connection, as a wait that gives up should tell it: nothing while connected. */
export function connectionNote(client: { readonly connected: boolean; readonly state: string; readonly lastConnectError?: Error }): {
  note?: string;
  cause?: Error;
} {
  if (client.connected) return {};
  const cause = client.lastConnectError;
  return { note: `the client is ${client.state}${cause ? `: ${cause.message}` : ''}`, ...(cause ? { cause } : {}) };
}

/** `what`, then the client's connection when it is down, in one phrase. */
export function blockedWithConnection(
  what: string | undefined,
  client: { readonly connected: boolean; readonly state: string; readonly lastConnectError?: Error },
): { blockedOn?: string; cause?: Error } {
  const { note, cause } = connectionNote(client);
  const blockedOn = [what, note].filter(Boolean).join('; ');
  return { ...(blockedOn ? { blockedOn } : {}), ...(cause ? { cause } : {}) };
}

/**
 * An acquire (lock, lease) on a client: settles per {@link waitBudget} — a try (`timeoutMs` 0)
 * within the operation timeout with ConnectionLossError when ZooKeeper did not answer (a `null`
 * would wrongly say "taken"), a timed wait with LockTimeoutError — and undoes a late grant.
 */
export function settleAcquire<T>(
  client: { readonly connected: boolean; readonly operationTimeoutMs: number; readonly state: string; readonly lastConnectError?: Error },
  options: {
    readonly path: string;
    readonly timeoutMs?: number;
    readonly signal?: AbortSignal;
    readonly started: number;
    readonly discard: (late: T) => Promise<unknown> | undefined;
    /** What the wait learned (the node it was behind), for the timeout error. */
    readonly trace?: WaitTrace;
  },
  work: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  const { path, timeoutMs } = options;
  const tryMs = client.operationTimeoutMs;
  return settleByDeadline(work, {
    ...waitBudget(timeoutMs, tryMs, options.started),
    signal: options.signal,
    onTimeout: () => {
      const { cause, note: state } = connectionNote(client);
      if (timeoutMs === 0)
        return new ConnectionLossError(
          `Could not learn within ${tryMs} ms whether ${path} can be had: ZooKeeper did not answer (the client is ${client.state}). Whatever was sent is cleaned up once the connection is back.`,
          cause ? { cause } : undefined,
        );
      const blockedOn = [describeBlock(options.trace), state].filter(Boolean).join('; ') || undefined;
      return new LockTimeoutError(path, timeoutMs ?? 0, { blockedOn, cause, leftBehind: 'our queue node was removed' });
    },
    connected: () => client.connected,
    discard: options.discard,
  });
}
