/**
 * CuratorCache (Curator 5's, one recipe for NodeCache, PathChildrenCache and TreeCache): a local
 * view of a node, its children or its whole subtree, kept current by one persistent watch
 * (ZooKeeper 3.6+) — or one-shot watches per node on an older server — and rebuilt after every
 * reconnection, emitting only what differs. `sync()` / `waitFor(zxid)` give read-your-writes.
 * Every read is numbered (cache-view.ts): the view follows the server's order whatever the order
 * our continuations run in.
 */
import {
  ZkRecipesError,
  ConnectionLossError,
  OperationTimeoutError,
  SessionExpiredError,
  ClientClosedError,
  ClientNotStartedError,
  InvalidArgumentError,
  RecipeClosedError,
  WaitTimeoutError,
} from '../../src/core/errors.js';
import { setMaxListeners } from 'node:events';
import { checkOptionKeys, describeValue, type OptionKeys } from '../../src/core/options.js';
import { settleWithin, sleep } from '../../src/core/timing.js';
import { TypedEvents } from '../../src/core/typed-events.js';
import type { ZkClient } from '../../src/zookeeper/client.js';
import { validateTimeout } from '../../src/zookeeper/client-options.js';
import { ConnectionState } from '../../src/zookeeper/connection-state.js';
import { joinPath, validatePath } from '../../src/zookeeper/paths.js';
import type { OperationOptions, WatchEvent } from '../../src/zookeeper/types.js';
import { type CuratorCacheOptions, type ResolvedCacheOptions, resolveCacheOptions } from './cache-options.js';
import { type CachedNode, CacheView } from './cache-view.js';
import { CacheFullError } from '../../src/core/errors.js';
import { type NodeReader, OneShotReader, PlainReader } from './node-readers.js';
import { isUnimplemented, persistentWatchesUnsupported } from './persistent-watcher.js';
import { TaskGroup } from './task-group.js';

/** Events of a {@link CuratorCache}. */
export interface CuratorCacheEvents<T> {
  [event: string]: unknown[];
  /** A node entered the cache (during the first load too, before `initialized`). */
  created: [node: CachedNode<T>];
  /** A cached node's data changed (a new `mzxid`), or it was deleted and made again while we were away. */
  changed: [node: CachedNode<T>, previous: CachedNode<T>];
  /** A node left the cache; its last known state. */
  deleted: [node: CachedNode<T>];
  /** The first load is complete. */
  initialized: [];
  /** After a reconnection the view was compared with the server again; the differences were emitted before. */
  rebuilt: [];
  /** A background failure (a read, a node that would not decode or fit); the cache keeps going. */
  error: [error: unknown];
}

/** Failures a walk meets when the connection or the session goes: walk again once connected. */
function isTransient(error: unknown): boolean {
  return error instanceof ConnectionLossError || error instanceof SessionExpiredError || error instanceof OperationTimeoutError;
}

/** Reads in flight while a cache loads or rebuilds. */
const READS_IN_FLIGHT = 1000;
const WAIT_KEYS: OptionKeys<OperationOptions> = { signal: true, timeoutMs: true };

/**
 * ```ts
 * await using cache = new CuratorCache(client, '/config', { decode: (b) => JSON.parse(b.toString()) });
 * cache.on('changed', (node) => console.log(node.path, node.data));
 * await cache.start();
 * const flags = cache.get('/config/flags')?.data;
 * ```
 */
export class CuratorCache<T = Buffer> implements AsyncDisposable {
  readonly client: ZkClient;
  readonly path: string;
  readonly #options: ResolvedCacheOptions<T>;
  readonly #events = new TypedEvents<CuratorCacheEvents<T>>();
  readonly #view: CacheView<T>;
  readonly #closed = new AbortController();
  readonly #background: TaskGroup;
  #state: 'LATENT' | 'STARTED' | 'CLOSED' = 'LATENT';
  #reader: NodeReader | undefined;
  #removeWatch: (() => Promise<void>) | undefined;
  #offState: (() => void) | undefined;
  #rebuilding: Promise<void> | undefined;
  #rebuildAgain = false;
  #sessionId: string | undefined;
  #syncedZxid = -1n;
  /** While the first load runs, a node that does not fit fails start() instead of emitting `error`. */
  #loadFailure: { error: unknown } | undefined;
  #loading = false;

  constructor(client: ZkClient, path: string, options: CuratorCacheOptions<T> = {}) {
    if (!client || typeof client.addPersistentWatch !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    this.client = client;
    this.path = validatePath(path);
    this.#options = resolveCacheOptions(options);
    // Every one-shot watch of the fallback listens to this signal (one per node): not a leak.
    setMaxListeners(0, this.#closed.signal);
    // A read a notification began that failed for the connection's sake lost that change, and a
    // connection that came back at once brings no RECONNECTED: walk again.
    this.#background = new TaskGroup(READS_IN_FLIGHT * 4, (error) => {
      if (!isTransient(error) || this.#state !== 'STARTED') this.#report(error);
      else if (this.#loading)
        this.#rebuildAgain = true; // the load walks again
      else this.#rebuild();
    });
    const maxNodes = this.#options.maxNodes;
    this.#view = new CacheView<T>(
      this.#options.decode,
      (at, size) => (size >= maxNodes ? new CacheFullError(this.path, maxNodes, at) : undefined),
      {
        created: (node) => this.#events.emit('created', node),
        changed: (node, previous) => this.#events.emit('changed', node, previous),
        deleted: (node) => this.#events.emit('deleted', node),
        refused: (_at, error) => {
          if (this.#loading && error instanceof CacheFullError) this.#loadFailure ??= { error };
          else this.#report(error);
        },
        listening: (kind) => this.#events.listenerCount(kind) > 0,
      },
    );
  }

  /** Subscribes to an event; returns an unsubscribe function. */
  on<K extends keyof CuratorCacheEvents<T>>(event: K, listener: (...args: CuratorCacheEvents<T>[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Removes a listener. */
  off<K extends keyof CuratorCacheEvents<T>>(event: K, listener: (...args: CuratorCacheEvents<T>[K]) => void): void {
    this.#events.off(event, listener);
  }

  /** How this cache learns of changes once started: 'persistent' (one watch, 3.6+) or 'one-shot' (a watch per node). */
  get watchMode(): 'persistent' | 'one-shot' | undefined {
    return this.#reader === undefined ? undefined : this.#reader instanceof PlainReader ? 'persistent' : 'one-shot';
  }

  /**
   * Sets the watch and loads the view; resolves once loaded (after `initialized`). Rejects with
   * CacheFullError past `maxNodes`, the signal's reason, WaitTimeoutError after `timeoutMs`;
   * a failed start closes the cache and leaves no watch set.
   */
  async start(options: OperationOptions = {}): Promise<void> {
    checkOptionKeys('CuratorCache.start() options', options, WAIT_KEYS);
    const timeoutMs = validateTimeout('timeoutMs', options.timeoutMs, 'to load without a limit');
    if (this.#state !== 'LATENT')
      throw new InvalidArgumentError(`CuratorCache on ${this.path} was already started or closed; create a new one.`);
    if (this.client.state === ConnectionState.CLOSED) throw new ClientClosedError('CuratorCache.start()');
    if (!this.client.started) throw new ClientNotStartedError();
    this.#state = 'STARTED';
    this.#offState = this.client.on('state', (state) => this.#onState(state));
    this.#loading = true;
    try {
      await settleWithin<void>(
        (resolve, reject) => {
          this.#load(options.signal).then(resolve, reject);
          return undefined;
        },
        timeoutMs,
        () =>
          new WaitTimeoutError('CuratorCache.start()', this.path, timeoutMs ?? 0, {
            blockedOn: `${this.#view.size} nodes loaded`,
            cleanedUp: 'the cache was closed',
          }),
        options.signal,
      );
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      this.#loading = false;
    }
    this.#events.emit('initialized');
  }

  async #load(signal: AbortSignal | undefined): Promise<void> {
    const watches = this.#options.watches;
    if (watches !== 'one-shot') {
      try {
        this.#removeWatch = await this.client.addPersistentWatch(this.path, (event) => this.#onEvent(event), {
          recursive: this.#options.mode !== 'node',
          signal: signal ?? this.#closed.signal,
        });
        this.#reader = new PlainReader(this.client);
        if (this.#closed.signal.aborted) await this.#removeWatch(); // closed while the request was out
      } catch (error) {
        if (!isUnimplemented(error)) throw error;
        if (watches === 'persistent') throw persistentWatchesUnsupported(error);
      }
    }
    this.#reader ??= new OneShotReader(this.client, this.#closed.signal, (event) => this.#onEvent(event));
    this.#sessionId = this.client.sessionId;
    // A load that straddles a reconnection or a new session walks again: reads failed with the
    // connection, and what the server sent meanwhile was not replayed.
    do {
      this.#rebuildAgain = false;
      try {
        await this.#walk();
      } catch (error) {
        if (!isTransient(error) || this.#closed.signal.aborted) throw error;
        await this.client.blockUntilConnected({ signal: this.#closed.signal });
        this.#rebuildAgain = true;
      }
      if (this.#loadFailure) throw this.#loadFailure.error;
      this.#noteSession();
    } while (this.#rebuildAgain);
  }

  /** A new session has none of our one-shot watches. */
  #noteSession(): void {
    if (this.client.sessionId === this.#sessionId) return;
    this.#sessionId = this.client.sessionId;
    this.#reader?.forgetWatches();
  }

  #report(error: unknown): void {
    if (this.#state === 'STARTED' && !this.#closed.signal.aborted) this.#events.emit('error', error);
  }

  /** Depth of `path` below the root (0 for the root), -1 outside. */
  #depthOf(path: string): number {
    if (path === this.path) return 0;
    const prefix = this.path === '/' ? '/' : `${this.path}/`;
    if (!path.startsWith(prefix)) return -1;
    let depth = 1;
    for (let i = prefix.length; i < path.length; i++) if (path.charCodeAt(i) === 47) depth++;
    return depth;
  }

  /** Whether the filter keeps `path` and every ancestor below the root. */
  #wanted(path: string, depth: number): boolean {
    const filter = this.#options.filter;
    if (!filter || depth === 0) return true;
    try {
      for (let at = path; at !== this.path; at = at.slice(0, at.lastIndexOf('/')) || '/') if (!filter(at)) return false;
      return true;
    } catch (error) {
      // the user's filter threw: leave the node out, say so
      this.#report(new ZkRecipesError('CACHE_FILTER_FAILED', `filter() threw for ${path}: ${String(error)}`, { cause: error }));
      return false;
    }
  }

  #onEvent(event: WatchEvent): void {
    if (this.#state !== 'STARTED') return;
    const depth = this.#depthOf(event.path);
    if (depth < 0 || depth > this.#options.maxDepth || !this.#wanted(event.path, depth)) return;
    if (event.type === 'NODE_DELETED') {
      this.#view.remove(event.path, this.#view.next());
      return;
    }
    if (event.type === 'NODE_CHILDREN_CHANGED') {
      // Only one-shot child watches report these (a recursive watch reports the children themselves).
      if (this.watchMode === 'one-shot' && depth < this.#options.maxDepth) this.#background.spawn(() => this.#listNew(event.path, depth));
      return;
    }
    this.#background.spawn(() => this.#refresh(event.path, depth, undefined));
  }

  /**
   * Reads one node (numbered before it is sent) and, when walking — or when the reader must set
   * its child watch — lists it and visits its children.
   */
  async #refresh(path: string, depth: number, walk: TaskGroup | undefined): Promise<void> {
    const reader = this.#reader as NodeReader;
    if (this.#closed.signal.aborted) return;
    const number = this.#view.beginRead(path);
    let listChildren = false;
    try {
      const read = await reader.read(path, depth === 0);
      if (this.#closed.signal.aborted) return; // closed meanwhile: the view is gone
      if (read) this.#view.put(path, number, read.data, read.stat);
      else this.#view.remove(path, number);
      listChildren =
        read !== null && depth < this.#options.maxDepth && this.#view.has(path) && reader.mustList(path, read.stat, walk !== undefined);
    } finally {
      this.#view.endRead(path);
    }
    if (!listChildren) return;
    if (walk) {
      for (const child of await this.#childrenOf(path, depth)) walk.spawn(() => this.#refresh(child, depth + 1, walk));
    } else await this.#listNew(path, depth);
  }

  /** Lists `path` and reads the children the view does not hold yet (their own watches report the rest). */
  async #listNew(path: string, depth: number): Promise<void> {
    const fresh = (await this.#childrenOf(path, depth)).filter((child) => !this.#view.has(child));
    await Promise.all(fresh.map((child) => this.#refresh(child, depth + 1, undefined)));
  }

  async #childrenOf(path: string, depth: number): Promise<string[]> {
    const names = (await (this.#reader as NodeReader).list(path)) ?? [];
    if (this.#closed.signal.aborted) return [];
    return names.map((name) => joinPath(path, name)).filter((child) => this.#wanted(child, depth + 1));
  }

  /**
   * Visits every node from the root; then a node that took no result since the walk began is gone
   * (one made meanwhile was read after its notification and took that).
   */
  async #walk(): Promise<void> {
    let failure: { error: unknown } | undefined;
    const walk = new TaskGroup(READS_IN_FLIGHT, (error) => {
      failure ??= { error };
    });
    // The sweep's removals count as of the walk's start: a read begun since (a node made again
    // meanwhile, its notification's read still out) must win over them.
    const began = this.#view.next();
    this.#view.beginTouched();
    try {
      walk.spawn(() => this.#refresh(this.path, 0, walk));
      while (walk.pending > 0) await walk.finishedUpTo(walk.mark);
    } finally {
      const touched = this.#view.endTouched();
      if (!failure) for (const path of this.#view.paths()) if (!touched.has(path)) this.#view.remove(path, began);
    }
    if (failure) throw failure.error;
  }

  #onState(state: ConnectionState): void {
    if (state === ConnectionState.CLOSED) void this.close();
    if (state !== ConnectionState.RECONNECTED || this.#state !== 'STARTED') return;
    if (this.#loading) {
      this.#rebuildAgain = true; // the load walks again once its walk ends
      return;
    }
    // The server sets watches again without replaying what it sent while we were away: compare.
    this.#noteSession();
    this.#rebuild();
  }

  #rebuild(): void {
    if (this.#rebuilding) {
      this.#rebuildAgain = true;
      return;
    }
    this.#rebuilding = (async () => {
      do {
        this.#rebuildAgain = false;
        try {
          await this.#walk();
          if (this.#state === 'STARTED') this.#events.emit('rebuilt');
        } catch (error) {
          if (this.#closed.signal.aborted) return;
          if (!isTransient(error)) {
            this.#report(error);
            return;
          }
          // A walk that met a lost connection or a timeout — also one whose connection came back
          // before we saw it fail — walks again once connected: no RECONNECTED may be coming.
          await this.client.blockUntilConnected({ signal: this.#closed.signal }).catch(() => undefined);
          await sleep(100, this.#closed.signal, 'resolve');
          this.#rebuildAgain = true;
        }
      } while (this.#rebuildAgain && this.#state === 'STARTED');
    })().finally(() => {
      this.#rebuilding = undefined;
    });
  }

  /** The cached node at `path` — a snapshot: its own Stat, and a copy of the bytes when there is no `decode` — if any. */
  get(path: string): CachedNode<T> | undefined {
    return this.#view.get(path);
  }

  /** Names of the cached children of `path`, sorted. */
  children(path: string): string[] {
    return this.#view.children(path);
  }

  /** Number of cached nodes. */
  get size(): number {
    return this.#view.size;
  }

  /** Every cached node, by path (snapshots, as {@link get}). */
  entries(): [string, CachedNode<T>][] {
    return [...this.#view.entries()];
  }

  /**
   * Read-your-writes: makes our server catch up with the leader, then waits until the cache has
   * applied every change that server had by then. Resolves to that zxid.
   */
  async sync(options: OperationOptions = {}): Promise<bigint> {
    checkOptionKeys('CuratorCache.sync() options', options, WAIT_KEYS);
    const timeoutMs = validateTimeout('timeoutMs', options.timeoutMs, "for the client's operationTimeoutMs");
    if (this.#state !== 'STARTED') throw new RecipeClosedError(`CuratorCache on ${this.path}`);
    const limitMs = timeoutMs ?? this.client.operationTimeoutMs;
    const closedError = () => new RecipeClosedError(`CuratorCache on ${this.path}`);
    const zxid = await settleWithin<bigint>(
      (resolve, reject) => {
        const onClose = () => reject(closedError());
        if (this.#closed.signal.aborted) {
          onClose();
          return undefined;
        }
        this.#closed.signal.addEventListener('abort', onClose, { once: true });
        (async () => {
          const reached = await this.client.sync(this.path, { signal: options.signal, timeoutMs: limitMs });
          // Notifications that came before the sync's reply were handed to us before this line:
          // wait for the reads they began, and for a rebuild under way.
          await this.#background.finishedUpTo(this.#background.mark);
          while (this.#rebuilding) await this.#rebuilding;
          return reached;
        })().then(resolve, reject);
        return () => this.#closed.signal.removeEventListener('abort', onClose);
      },
      limitMs,
      () => new WaitTimeoutError('CuratorCache.sync()', this.path, limitMs, { cleanedUp: 'nothing was left behind' }),
      options.signal,
    );
    if (zxid > this.#syncedZxid) this.#syncedZxid = zxid;
    return zxid;
  }

  /**
   * Waits until the cache reflects every write up to `zxid` — e.g. `stat.mzxid` of your own
   * `setData` — so a service never reads its own stale config. One {@link sync} unless an earlier
   * one already covered it.
   */
  async waitFor(zxid: bigint | number, options: OperationOptions = {}): Promise<void> {
    if (typeof zxid !== 'bigint' && !(typeof zxid === 'number' && Number.isSafeInteger(zxid) && zxid >= 0))
      throw new InvalidArgumentError(`zxid must be a bigint (a Stat's mzxid) or a non-negative integer, got ${describeValue(zxid)}.`);
    if (BigInt(zxid) <= this.#syncedZxid) return;
    await this.sync(options);
  }

  /** Stops watching (the watch is removed on the server), drops the view and every listener. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'CLOSED') return;
    this.#state = 'CLOSED';
    this.#closed.abort(new RecipeClosedError(`CuratorCache on ${this.path}`));
    this.#offState?.();
    this.#events.removeAllListeners();
    this.#view.clear();
    const remove = this.#removeWatch;
    this.#removeWatch = undefined;
    await remove?.();
  }

  /** `await using`: closes the cache. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export type { CachedNode } from './cache-view.js';
