/**
 * How one client operation runs (Curator's RetryLoop): each attempt waits for a connection and
 * the namespace node, then sends its request with the operation's deadline; retryable failures
 * are retried by the policy. Watched reads register their watch before the request goes out, and
 * hand events to user code off the wire library's stack.
 */
import type { Resolved } from './client-options.js';
import { validateTimeout } from './client-options.js';
import { ConnectionLossError, InvalidArgumentError, ZkRecipesError } from '../core/errors.js';
import type { NamespaceMapping } from './namespace-mapping.js';
import { withRetry } from './retry.js';
import type { SessionHandle } from './session-handle.js';
import type { SessionKeeper } from './session-keeper.js';
import type { OperationOptions, Watched, WatchEvent, WatchEventType } from './types.js';
import { type WatchKind, WatchRegistry } from './watch-registry.js';
import type { WireCreates } from './wire-creates.js';
import { describeValue } from '../core/options.js';

/** One attempt of an operation, on a connected handle, with the operation's deadline (ms). */
export type Attempt<T> = (handle: SessionHandle, wirePath: string, timeoutMs: number) => Promise<T>;

/** Throws unless `data` is a Buffer, null or undefined. */
export function checkData(data: unknown): void {
  if (data !== undefined && data !== null && !Buffer.isBuffer(data)) {
    throw new InvalidArgumentError('data must be a Buffer, null or undefined.');
  }
}

/** The wire version of an optional expected version (-1: any). */
export function checkVersion(version: unknown): number {
  if (version === undefined) return -1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < -1) {
    throw new InvalidArgumentError(`version must be an integer >= -1, got ${describeValue(version)}.`);
  }
  return version;
}

/** Runs one client's operations. */
export class OperationRunner {
  readonly #options: Resolved;
  readonly #keeper: SessionKeeper;
  readonly #paths: NamespaceMapping;
  readonly #creates: WireCreates;
  #watches = new WatchRegistry();
  #namespaceReady: Promise<void> | undefined;
  /** The handle (session) for which the namespace is known to exist. */
  #namespaceDone: SessionHandle | undefined;

  constructor(options: Resolved, keeper: SessionKeeper, paths: NamespaceMapping, creates: WireCreates) {
    this.#options = options;
    this.#keeper = keeper;
    this.#paths = paths;
    this.#creates = creates;
  }

  /** Live one-shot watch listeners. */
  get pendingWatchCount(): number {
    return this.#watches.size;
  }

  /** Ends every watch wait: the session or the client is gone. */
  settleWatches(watchType: 'CLIENT_CLOSED' | 'SESSION_LOST'): void {
    this.#watches.settleAll(watchType, (p) => this.#paths.toUser(p));
  }

  /** The session is gone: its namespace check and its watches with it. */
  forgetSession(): void {
    this.#namespaceReady = undefined;
    this.#namespaceDone = undefined;
    this.#watches = new WatchRegistry();
  }

  /** Runs one operation with retries; each attempt first waits for a connection. */
  run<T>(name: string, path: string, options: OperationOptions & { noRetry?: boolean }, attempt: Attempt<T>): Promise<T> {
    const timeoutMs =
      validateTimeout('timeoutMs', options.timeoutMs, "for the client's operationTimeoutMs") ?? this.#options.operationTimeoutMs;
    this.#keeper.assertUsable();
    options.signal?.throwIfAborted();
    const full = this.#paths.toWire(path);
    return withRetry(
      (): Promise<T> => {
        // Fast path: connected and namespace in place → the request goes out synchronously, so
        // requests issued one after another reach the server in call order (pipelining).
        const ready = this.#keeper.handle;
        if (ready && this.#namespaceDone === ready && this.#keeper.connected) return attempt(ready, full, timeoutMs);
        return (async () => {
          await this.#keeper.blockUntilConnected(this.#options.connectionTimeoutMs, options.signal);
          const handle = this.#keeper.handle;
          if (!handle) throw new ConnectionLossError();
          await this.#ensureNamespace(handle, timeoutMs, options.signal);
          return attempt(handle, full, timeoutMs);
        })();
      },
      options.noRetry ? { ...this.#options.retry, maxRetries: 0 } : this.#options.retry,
      options.signal,
    ).catch((error: unknown) => {
      if (error instanceof ZkRecipesError || options.signal?.aborted) throw error;
      throw new ZkRecipesError('UNEXPECTED', `${name} ${path} failed unexpectedly: ${String(error)}`, { cause: error });
    });
  }

  /** A read that also sets a one-shot watch: the value, and a promise of the watch's event. */
  async watched<T>(
    name: string,
    kind: WatchKind,
    path: string,
    options: OperationOptions,
    read: (handle: SessionHandle, wirePath: string, timeoutMs: number, watcher: (t: WatchEventType, p: string) => void) => Promise<T>,
  ): Promise<Watched<T>> {
    let settle!: (event: WatchEvent) => void;
    let fail!: (error: unknown) => void;
    const changed = new Promise<WatchEvent>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    changed.catch(() => {}); // an abort nobody awaits must not become an unhandled rejection
    let remove: (() => void) | undefined;
    let delivered = false;
    const onAbort = () => {
      remove?.();
      fail(options.signal?.reason);
    };
    const deliver = (event: WatchEvent) => {
      delivered = true;
      options.signal?.removeEventListener('abort', onAbort);
      // Watch events arrive on the socket handler: hand them to user code on a later tick.
      // A microtask: off the wire library's stack (it has returned by then), without waiting a
      // whole event-loop turn — this is the hand-off path of every lock.
      queueMicrotask(() => settle({ type: event.type, path: this.#paths.toUser(event.path) }));
    };
    const value = await this.run(name, path, options, async (handle, full, timeoutMs) => {
      // Listen before the request: its response and the event can arrive in one socket read.
      // An older watch on the same path may wake us early; callers always re-read, so that is safe.
      remove?.();
      remove = this.#watches.add(kind, full, deliver);
      try {
        return await read(handle, full, timeoutMs, this.#watches.dispatcherFor(kind, full));
      } catch (error) {
        remove();
        remove = undefined;
        throw error;
      }
    });
    // The event may already have come (in the same socket read as the reply): then there is
    // nothing left to abort, and a listener added now would never be removed.
    if (!delivered) {
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    }
    return { value, changed };
  }

  #ensureNamespace(handle: SessionHandle, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const ns = this.#options.namespace;
    if (!ns) {
      this.#namespaceDone = handle;
      return Promise.resolve();
    }
    if (!this.#namespaceReady) {
      this.#namespaceReady = this.#creates.mkdirp(handle, ns, timeoutMs, signal, false).then(
        () => {
          this.#namespaceDone = handle;
        },
        (error: unknown) => {
          this.#namespaceReady = undefined;
          throw error;
        },
      );
    }
    return this.#namespaceReady;
  }
}
