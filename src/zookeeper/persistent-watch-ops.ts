/**
 * The client's 3.6+ watch operations — addWatch, removeWatches, checkWatches — and sync, on top
 * of the persistent watch list (persistent-watches.ts) and the operation runner. ZkClient
 * delegates here; recipes (PersistentWatcher, CuratorCache) are the users.
 */
import { ZooKeeperError, ZkRecipesError } from '../core/errors.js';
import type { Logger } from '../core/diagnostics.js';
import type { NamespaceMapping } from './namespace-mapping.js';
import type { OperationRunner } from './operation-runner.js';
import { type PersistentWatchListener, PersistentWatches } from './persistent-watches.js';
import type { RequestTracker } from './request-tracker.js';
import type { OperationOptions } from './types.js';
import {
  ADD_WATCH_PERSISTENT,
  ADD_WATCH_PERSISTENT_RECURSIVE,
  ERR_NO_WATCHER,
  WATCHER_TYPE,
  type WireNotification,
} from './wire-watches.js';

/** Removes one persistent watch: from the list at once, from the server when it was the path's last. */
export type RemovePersistentWatch = () => Promise<void>;

export class PersistentWatchOps {
  readonly watches = new PersistentWatches();
  readonly #runner: () => OperationRunner;
  readonly #requests: RequestTracker;
  readonly #paths: NamespaceMapping;
  readonly #logger: Logger;
  readonly #connected: () => boolean;

  constructor(runner: () => OperationRunner, requests: RequestTracker, paths: NamespaceMapping, logger: Logger, connected: () => boolean) {
    this.#connected = connected;
    this.#runner = runner;
    this.#requests = requests;
    this.#paths = paths;
    this.#logger = logger;
  }

  /** Hands a notification to the listeners it matches, on a microtask (off the wire library's stack). */
  deliver(notification: WireNotification): void {
    const calls = this.watches.match(notification, (p) => this.#paths.toUser(p));
    if (calls.length === 0) return;
    queueMicrotask(() => {
      for (const call of calls) {
        try {
          call();
        } catch (error) {
          this.#logger.error('zk-recipes: a persistent watch listener threw', { error });
        }
      }
    });
  }

  /**
   * Sets a persistent watch. The listener is on the list before the request goes out, so a
   * connection that drops meanwhile sets it again. UNIMPLEMENTED from a server before 3.6.
   */
  async add(
    path: string,
    recursive: boolean,
    listener: PersistentWatchListener,
    options: OperationOptions,
  ): Promise<RemovePersistentWatch> {
    const full = this.#paths.toWire(path);
    const unlist = this.watches.add(full, recursive, listener);
    const mode = recursive ? ADD_WATCH_PERSISTENT_RECURSIVE : ADD_WATCH_PERSISTENT;
    try {
      await this.#runner().run('addWatch', path, options, (handle, wire, deadline) =>
        this.#requests.call('addWatch', wire, deadline, options.signal, (cb) => handle.addWatch(wire, mode, cb)),
      );
    } catch (error) {
      if (unlist()) await this.#removeOnServer(path);
      throw error;
    }
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      if (unlist()) await this.#removeOnServer(path);
    };
  }

  /**
   * Tells the server to drop the path's watches (removeWatches of any type: the server keys
   * watches by connection and path, so one-shot ones of ours on this very path go too — they fire
   * at the latest when the connection changes). Best effort: a watch the server could not be told
   * about dies with the connection, and the next connection does not set it again.
   */
  async #removeOnServer(path: string): Promise<void> {
    // Not connected: the watch is gone with the connection and the next one will not set it —
    // no reason to make close() wait for a connection.
    if (!this.#connected()) return;
    try {
      await this.#runner().run('removeWatches', path, { timeoutMs: undefined, noRetry: true }, (handle, wire, deadline) =>
        this.#requests.call('removeWatches', wire, deadline, undefined, (cb) => handle.removeWatches(wire, WATCHER_TYPE.any, cb)),
      );
    } catch (error) {
      if (!(error instanceof ZkRecipesError)) throw error;
    }
  }

  /** True when the server holds a watch of ours of any kind on the path (checkWatches). */
  async check(path: string, options: OperationOptions): Promise<boolean> {
    try {
      await this.#runner().run('checkWatches', path, options, (handle, wire, deadline) =>
        this.#requests.call('checkWatches', wire, deadline, options.signal, (cb) => handle.checkWatches(wire, WATCHER_TYPE.any, cb)),
      );
      return true;
    } catch (error) {
      if (error instanceof ZooKeeperError && error.zkCode === ERR_NO_WATCHER) return false;
      throw error;
    }
  }

  /** Makes the connected server catch up with the leader; resolves to the zxid it reached. */
  sync(path: string, options: OperationOptions): Promise<bigint> {
    return this.#runner().run('sync', path, options, (handle, wire, deadline) =>
      this.#requests.call<bigint>('sync', wire, deadline, options.signal, (cb) => handle.sync(wire, cb)),
    );
  }
}
