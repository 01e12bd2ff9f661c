/**
 * Every wire request in flight, each with its own deadline: the wire library queues requests for
 * ever while disconnected, so a request settles by its deadline (OperationTimeoutError), its
 * caller's abort, or `failAll` when the session or the client is gone — whatever the wire does.
 * Wire errors become typed errors named by the user's path.
 */
import { DeadlineTimer } from '../core/deadline-timer.js';
import { errorFromZkCode, OperationTimeoutError, ZkRecipesError } from '../core/errors.js';
import type { NamespaceMapping } from './namespace-mapping.js';

/** The requests in flight of one client. */
export class RequestTracker {
  readonly #inflight = new Set<(error: ZkRecipesError) => void>();
  readonly #deadlines = new DeadlineTimer();
  readonly #paths: NamespaceMapping;

  constructor(paths: NamespaceMapping) {
    this.#paths = paths;
  }

  /** Issues one wire request with its own deadline (`timeoutMs` from now). */
  call<T>(
    name: string,
    wirePath: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    issue: (cb: (error: unknown, result?: T) => void) => void,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      let done = false;
      // The happy path allocates no timer and no error: one shared deadline timer, errors made
      // only when something failed.
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        removeDeadline();
        this.#inflight.delete(failInflight);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const failInflight = (error: ZkRecipesError) => finish(() => reject(error));
      const onAbort = () => finish(() => reject(signal?.reason));
      const removeDeadline = this.#deadlines.add(timeoutMs, () =>
        finish(() => reject(new OperationTimeoutError(name, this.#paths.toUser(wirePath), timeoutMs))),
      );
      this.#inflight.add(failInflight);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        issue((error, result) => {
          if (!error) return finish(() => resolve(result as T));
          const code = (error as { code?: unknown }).code;
          finish(() => reject(typeof code === 'number' ? errorFromZkCode(code, this.#paths.toUser(wirePath)) : error));
        });
      } catch (error) {
        finish(() =>
          reject(new ZkRecipesError('UNEXPECTED', `${name} ${wirePath}: the wire client threw: ${String(error)}`, { cause: error })),
        );
      }
    });
  }

  /** Ends every request in flight with `error` (the session or the client is gone). */
  failAll(error: ZkRecipesError): void {
    for (const fail of [...this.#inflight]) fail(error);
    this.#deadlines.clear();
  }
}
