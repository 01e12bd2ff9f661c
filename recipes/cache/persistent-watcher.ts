/**
 * PersistentWatcher (Curator's): a ZooKeeper 3.6+ persistent watch on a node — or, `recursive`,
 * on its whole subtree — that stays set through disconnections and new sessions. The server does
 * not replay what happened while the connection was down: after every reconnection the watcher
 * emits `reset`, and a user who keeps state re-reads it then.
 */
import {
  ClientClosedError,
  ClientNotStartedError,
  InvalidArgumentError,
  UnsupportedByServerError,
  ZooKeeperError,
} from '../../src/core/errors.js';
import { checkOptionKeys, type OptionKeys } from '../../src/core/options.js';
import { TypedEvents } from '../../src/core/typed-events.js';
import type { ZkClient } from '../../src/zookeeper/client.js';
import { ConnectionState } from '../../src/zookeeper/connection-state.js';
import { validatePath } from '../../src/zookeeper/paths.js';
import type { OperationOptions, WatchEvent } from '../../src/zookeeper/types.js';
import { EventStream } from './event-stream.js';

/** Options of {@link PersistentWatcher}. */
export interface PersistentWatcherOptions {
  /** Watch the whole subtree (created, deleted and data-changed events of every node below). @default false */
  readonly recursive?: boolean;
}

/** What the watcher's iterator yields: a node event, or `RESET` after a reconnection (events may have been missed). */
export type PersistentWatchItem = WatchEvent | { readonly type: 'RESET'; readonly path: string };

/** Events of a {@link PersistentWatcher}. */
export interface PersistentWatcherEvents {
  [event: string]: unknown[];
  /** A node event: NODE_CREATED, NODE_DELETED, NODE_DATA_CHANGED, and NODE_CHILDREN_CHANGED when not recursive. */
  event: [event: WatchEvent];
  /** The watch was set again on a new connection or session: what happened meanwhile was not reported. Re-read. */
  reset: [];
  /** A listener threw. */
  error: [error: unknown];
}

const OPTION_KEYS: OptionKeys<PersistentWatcherOptions> = { recursive: true };
const START_KEYS: OptionKeys<OperationOptions> = { signal: true, timeoutMs: true };

/** The error for a server without addWatch. */
export function persistentWatchesUnsupported(cause: unknown): UnsupportedByServerError {
  return new UnsupportedByServerError(
    'persistent watches (addWatch, ZooKeeper 3.6+)',
    'Upgrade the ensemble to 3.6 or newer; CuratorCache falls back on one-shot watches by itself.',
    { cause },
  );
}

/** True for the server's answer to a request it does not know. */
export function isUnimplemented(error: unknown): boolean {
  return error instanceof ZooKeeperError && error.code === 'UNIMPLEMENTED';
}

/**
 * ```ts
 * await using watcher = new PersistentWatcher(client, '/config', { recursive: true });
 * watcher.on('event', (e) => console.log(e.type, e.path));
 * watcher.on('reset', () => reloadEverything());
 * await watcher.start();
 * ```
 */
export class PersistentWatcher implements AsyncDisposable {
  readonly client: ZkClient;
  readonly path: string;
  readonly recursive: boolean;
  readonly #events = new TypedEvents<PersistentWatcherEvents>();
  readonly #stream = new EventStream<PersistentWatchItem>();
  #state: 'LATENT' | 'STARTED' | 'CLOSED' = 'LATENT';
  #remove: (() => Promise<void>) | undefined;
  #offState: (() => void) | undefined;

  constructor(client: ZkClient, path: string, options: PersistentWatcherOptions = {}) {
    if (!client || typeof client.addPersistentWatch !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    checkOptionKeys('PersistentWatcher options', options, OPTION_KEYS);
    if (options.recursive !== undefined && typeof options.recursive !== 'boolean')
      throw new InvalidArgumentError('recursive must be a boolean.');
    this.client = client;
    this.path = validatePath(path);
    this.recursive = options.recursive ?? false;
  }

  /** Subscribes to `event`, `reset` or `error`; returns an unsubscribe function. */
  on<K extends keyof PersistentWatcherEvents>(event: K, listener: (...args: PersistentWatcherEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Removes a listener. */
  off<K extends keyof PersistentWatcherEvents>(event: K, listener: (...args: PersistentWatcherEvents[K]) => void): void {
    this.#events.off(event, listener);
  }

  /**
   * Sets the watch on the server. Rejects with UnsupportedByServerError on a server before 3.6,
   * with the signal's reason or a timeout otherwise; a failed start leaves nothing set.
   */
  async start(options: OperationOptions = {}): Promise<void> {
    checkOptionKeys('PersistentWatcher.start() options', options, START_KEYS);
    if (this.#state !== 'LATENT')
      throw new InvalidArgumentError(`PersistentWatcher on ${this.path} was already started or closed; create a new one.`);
    if (this.client.state === ConnectionState.CLOSED) throw new ClientClosedError('PersistentWatcher.start()');
    if (!this.client.started) throw new ClientNotStartedError();
    this.#state = 'STARTED';
    this.#offState = this.client.on('state', (state) => {
      if (state === ConnectionState.RECONNECTED) this.#deliver({ type: 'RESET', path: this.path });
      else if (state === ConnectionState.CLOSED) void this.close();
    });
    try {
      this.#remove = await this.client.addPersistentWatch(this.path, (event) => this.#deliver(event), {
        recursive: this.recursive,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
      });
    } catch (error) {
      this.#offState();
      this.#state = 'CLOSED';
      this.#stream.end();
      throw isUnimplemented(error) ? persistentWatchesUnsupported(error) : error;
    }
    // closed while the request was out: take the watch back off
    if ((this.#state as string) === 'CLOSED') await this.#remove();
  }

  #deliver(item: PersistentWatchItem): void {
    if (this.#state !== 'STARTED') return;
    if (item.type === 'RESET') this.#events.emit('reset');
    else this.#events.emit('event', item as WatchEvent);
    this.#stream.push(item);
  }

  /**
   * The events as an async iterator (those from now on): node events and `RESET` items. Ends
   * when the watcher closes; rejects with the signal's reason when `signal` aborts.
   */
  events(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<PersistentWatchItem> {
    return this.#stream.iterate(options.signal, this.#state === 'CLOSED');
  }

  /** `for await (const e of watcher)`: {@link events} without a signal. */
  [Symbol.asyncIterator](): AsyncIterableIterator<PersistentWatchItem> {
    return this.events();
  }

  /** Removes the watch on the server and ends every iterator. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'CLOSED') return;
    this.#state = 'CLOSED';
    this.#offState?.();
    this.#stream.end();
    this.#events.removeAllListeners();
    await this.#remove?.();
  }

  /** `await using`: closes the watcher. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
