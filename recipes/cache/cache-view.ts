/**
 * What a cache holds, and the one rule that keeps it true: the server answers one session's
 * requests in order and sends a change's notification before the reply to any read it processed
 * after that change. So each read is numbered when it is sent, a notified deletion when it
 * arrives, and a node takes a result only when it is newer than the last one it took — the view
 * of every node follows the server's order, whichever order our continuations happen to run in.
 */
import { ZkRecipesError } from '../../src/core/errors.js';
import type { Stat } from '../../src/zookeeper/types.js';

/** One cached node: its path, decoded data and Stat. */
export interface CachedNode<T> {
  readonly path: string;
  readonly data: T;
  readonly stat: Stat;
}

/** Where the view reports what changed. */
export interface ViewChanges<T> {
  created(node: CachedNode<T>): void;
  changed(node: CachedNode<T>, previous: CachedNode<T>): void;
  deleted(node: CachedNode<T>): void;
  /** A node the view would not take (full, or its data would not decode). */
  refused(path: string, error: ZkRecipesError): void;
}

export class CacheView<T> {
  readonly #nodes = new Map<string, CachedNode<T>>();
  /**
   * The number of the last result a node took — kept only while reads of it are out: a read sent
   * when none was out is newer than anything taken before it.
   */
  readonly #taken = new Map<string, number>();
  readonly #reading = new Map<string, number>();
  /** While a walk runs: every path that took a result since it began (what the walk must not sweep). */
  #touched: Set<string> | undefined;
  readonly #decode: (data: Buffer, path: string) => T;
  readonly #full: (path: string) => ZkRecipesError | undefined;
  readonly #changes: ViewChanges<T>;
  #counter = 0;

  constructor(
    decode: (data: Buffer, path: string) => T,
    full: (path: string, size: number) => ZkRecipesError | undefined,
    changes: ViewChanges<T>,
  ) {
    this.#decode = decode;
    this.#full = (path) => full(path, this.#nodes.size);
    this.#changes = changes;
  }

  /** Numbers an event that needs no read (a deletion). */
  next(): number {
    return ++this.#counter;
  }

  /** Numbers a read about to be sent. */
  beginRead(path: string): number {
    this.#reading.set(path, (this.#reading.get(path) ?? 0) + 1);
    return ++this.#counter;
  }

  /** A read came back (whatever it said). */
  endRead(path: string): void {
    const left = (this.#reading.get(path) ?? 1) - 1;
    if (left > 0) this.#reading.set(path, left);
    else {
      this.#reading.delete(path);
      this.#taken.delete(path);
    }
  }

  /** Starts recording the paths that take a result (a walk begins). */
  beginTouched(): void {
    this.#touched = new Set();
  }

  /** The paths that took a result since {@link beginTouched}; stops recording. */
  endTouched(): Set<string> {
    const touched = this.#touched ?? new Set<string>();
    this.#touched = undefined;
    return touched;
  }

  #newer(path: string, number: number): boolean {
    if (number <= (this.#taken.get(path) ?? 0)) return false;
    if (this.#reading.has(path)) this.#taken.set(path, number);
    this.#touched?.add(path);
    return true;
  }

  /** The node exists with this data and Stat (as of the numbered read). */
  put(path: string, number: number, raw: Buffer, stat: Stat): void {
    if (!this.#newer(path, number)) return;
    const previous = this.#nodes.get(path);
    // An older state than the one held (a retried read sent late): never go back in time.
    if (previous && (stat.czxid < previous.stat.czxid || (stat.czxid === previous.stat.czxid && stat.mzxid < previous.stat.mzxid))) return;
    // Same incarnation, same data version: only the child counters moved — no event.
    if (previous && previous.stat.czxid === stat.czxid && previous.stat.mzxid === stat.mzxid) {
      this.#nodes.set(path, { path, data: previous.data, stat });
      return;
    }
    if (!previous) {
      const full = this.#full(path);
      if (full) {
        this.#changes.refused(path, full);
        return;
      }
    }
    let data: T;
    try {
      data = this.#decode(raw, path);
    } catch (error) {
      this.#changes.refused(
        path,
        new ZkRecipesError('CACHE_DECODE_FAILED', `decode() threw for ${path}: ${String(error)}`, { cause: error }),
      );
      return;
    }
    const node: CachedNode<T> = { path, data, stat };
    this.#nodes.set(path, node);
    if (previous) {
      this.#changes.changed(node, previous);
      return;
    }
    this.#changes.created(node);
  }

  /** The node is gone (as of the numbered read or notification). */
  remove(path: string, number: number): void {
    if (!this.#newer(path, number)) return;
    const previous = this.#nodes.get(path);
    if (!previous) return;
    this.#nodes.delete(path);
    this.#changes.deleted(previous);
  }

  get(path: string): CachedNode<T> | undefined {
    return this.#nodes.get(path);
  }

  has(path: string): boolean {
    return this.#nodes.has(path);
  }

  /** Names of the cached children of `path` (sorted): a scan, as Curator's — no index to pay for per node. */
  children(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    const names: string[] = [];
    for (const key of this.#nodes.keys()) {
      if (key.length > prefix.length && key.startsWith(prefix) && key.indexOf('/', prefix.length) < 0) names.push(key.slice(prefix.length));
    }
    return names.sort();
  }

  get size(): number {
    return this.#nodes.size;
  }

  entries(): IterableIterator<[string, CachedNode<T>]> {
    return this.#nodes.entries();
  }

  paths(): string[] {
    return [...this.#nodes.keys()];
  }

  /** Forgets everything without events (the cache closed). */
  clear(): void {
    this.#nodes.clear();
    this.#taken.clear();
    this.#reading.clear();
  }
}
