/**
 * What a cache holds, and the one rule that keeps it true: the server answers one session's
 * requests in order and sends a change's notification before the reply to any read it processed
 * after that change. So each read is numbered when it is sent, a notified deletion when it
 * arrives, and a node takes a result only when it is newer than the last one it took — the view
 * of every node follows the server's order, whichever order our continuations happen to run in.
 */
import { ZkRecipesError } from '../../src/core/errors.js';
import { parentOf } from '../../src/zookeeper/paths.js';
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

const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

export class CacheView<T> {
  readonly #nodes = new Map<string, CachedNode<T>>();
  /** parent path → names of its cached children (children() without a scan). */
  readonly #children = new Map<string, Set<string>>();
  /** The number of the last result each node took; kept for absent nodes only while reads are out. */
  readonly #taken = new Map<string, number>();
  readonly #reading = new Map<string, number>();
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
      if (!this.#nodes.has(path)) this.#taken.delete(path);
    }
  }

  /** The number of the last result `path` took (0: none). */
  takenAt(path: string): number {
    return this.#taken.get(path) ?? 0;
  }

  #newer(path: string, number: number): boolean {
    if (number <= (this.#taken.get(path) ?? 0)) return false;
    this.#taken.set(path, number);
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
    const parent = parentOf(path);
    let names = this.#children.get(parent);
    if (!names) {
      names = new Set();
      this.#children.set(parent, names);
    }
    names.add(nameOf(path));
    this.#changes.created(node);
  }

  /** The node is gone (as of the numbered read or notification). */
  remove(path: string, number: number): void {
    if (!this.#newer(path, number)) return;
    const previous = this.#nodes.get(path);
    if (!(this.#reading.get(path) ?? 0)) this.#taken.delete(path);
    if (!previous) return;
    this.#nodes.delete(path);
    const parent = parentOf(path);
    const names = this.#children.get(parent);
    names?.delete(nameOf(path));
    if (names?.size === 0) this.#children.delete(parent);
    this.#changes.deleted(previous);
  }

  get(path: string): CachedNode<T> | undefined {
    return this.#nodes.get(path);
  }

  has(path: string): boolean {
    return this.#nodes.has(path);
  }

  /** Names of the cached children of `path` (sorted). */
  children(path: string): string[] {
    return [...(this.#children.get(path) ?? [])].sort();
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
    this.#children.clear();
    this.#taken.clear();
    this.#reading.clear();
  }
}
