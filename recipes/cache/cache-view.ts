/**
 * What a cache holds, and the one rule that keeps it true: the server answers one session's
 * requests in order and sends a change's notification before the reply to any read it processed
 * after that change. So each read is numbered when it is sent, a notified deletion when it
 * arrives, and a node takes a result only when it is newer than the last one it took — the view
 * of every node follows the server's order, whichever order our continuations happen to run in.
 */
import { ZkRecipesError } from '../../src/core/errors.js';
import type { Stat } from '../../src/zookeeper/types.js';
import { NodeStore } from './node-store.js';

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
  /** Whether anyone listens to created/changed/deleted (else no snapshot is built for them). */
  listening(kind: 'created' | 'changed' | 'deleted'): boolean;
}

export class CacheView<T> {
  /** path → the node's slot in the store. */
  readonly #slots = new Map<string, number>();
  readonly #store: NodeStore<T>;
  /**
   * The number of the last result a node took — kept only while reads of it are out: a read sent
   * when none was out is newer than anything taken before it.
   */
  readonly #taken = new Map<string, number>();
  readonly #reading = new Map<string, number>();
  /** While a walk runs: every path that took a result since it began (what the walk must not sweep). */
  #touched: Set<string> | undefined;
  readonly #decode: ((data: Buffer, path: string) => T) | undefined;
  readonly #full: (path: string) => ZkRecipesError | undefined;
  readonly #changes: ViewChanges<T>;
  #counter = 0;

  /** Without `decode` the values are the nodes' bytes. */
  constructor(
    decode: ((data: Buffer, path: string) => T) | undefined,
    full: (path: string, size: number) => ZkRecipesError | undefined,
    changes: ViewChanges<T>,
  ) {
    this.#decode = decode;
    this.#store = new NodeStore<T>(decode === undefined);
    this.#full = (path) => full(path, this.#slots.size);
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

  #snapshot(path: string, slot: number): CachedNode<T> {
    return { path, data: this.#store.value(slot), stat: this.#store.stat(slot) };
  }

  /** The decoded value, or undefined after reporting the failure. */
  #decoded(path: string, raw: Buffer): { decoded?: T; bytes?: Buffer } | undefined {
    if (!this.#decode) return { bytes: raw };
    try {
      return { decoded: this.#decode(raw, path) };
    } catch (error) {
      this.#changes.refused(
        path,
        new ZkRecipesError('CACHE_DECODE_FAILED', `decode() threw for ${path}: ${String(error)}`, { cause: error }),
      );
      return undefined;
    }
  }

  /** The node exists with this data and Stat (as of the numbered read). */
  put(path: string, number: number, raw: Buffer, stat: Stat): void {
    if (!this.#newer(path, number)) return;
    const store = this.#store;
    const slot = this.#slots.get(path);
    if (slot !== undefined) {
      const czxid = Number(stat.czxid);
      const mzxid = Number(stat.mzxid);
      const heldC = store.czxid(slot);
      const heldM = store.mzxid(slot);
      // An older state than the one held (a retried read sent late): never go back in time.
      if (czxid < heldC || (czxid === heldC && mzxid < heldM)) return;
      // Same incarnation, same data version: only the child counters moved — no event.
      if (czxid === heldC && mzxid === heldM) {
        store.write(slot, stat);
        return;
      }
      const value = this.#decoded(path, raw);
      if (!value) return;
      const previous = this.#changes.listening('changed') ? this.#snapshot(path, slot) : undefined;
      store.write(slot, stat, value);
      if (previous) this.#changes.changed(this.#snapshot(path, slot), previous);
      return;
    }
    const full = this.#full(path);
    if (full) {
      this.#changes.refused(path, full);
      return;
    }
    const value = this.#decoded(path, raw);
    if (!value) return;
    const fresh = store.allocate();
    store.write(fresh, stat, value);
    this.#slots.set(path, fresh);
    if (this.#changes.listening('created')) this.#changes.created(this.#snapshot(path, fresh));
  }

  /** The node is gone (as of the numbered read or notification). */
  remove(path: string, number: number): void {
    if (!this.#newer(path, number)) return;
    const slot = this.#slots.get(path);
    if (slot === undefined) return;
    const previous = this.#changes.listening('deleted') ? this.#snapshot(path, slot) : undefined;
    this.#slots.delete(path);
    this.#store.release(slot);
    if (previous) this.#changes.deleted(previous);
  }

  /** A snapshot of the node at `path` (its own Stat and data copy), if cached. */
  get(path: string): CachedNode<T> | undefined {
    const slot = this.#slots.get(path);
    return slot === undefined ? undefined : this.#snapshot(path, slot);
  }

  has(path: string): boolean {
    return this.#slots.has(path);
  }

  /** Names of the cached children of `path` (sorted): a scan, as Curator's — no index to pay for per node. */
  children(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    const names: string[] = [];
    for (const key of this.#slots.keys()) {
      if (key.length > prefix.length && key.startsWith(prefix) && key.indexOf('/', prefix.length) < 0) names.push(key.slice(prefix.length));
    }
    return names.sort();
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Snapshots of every node. */
  entries(): [string, CachedNode<T>][] {
    return [...this.#slots].map(([path, slot]) => [path, this.#snapshot(path, slot)]);
  }

  paths(): string[] {
    return [...this.#slots.keys()];
  }

  /** Forgets everything without events (the cache closed). */
  clear(): void {
    this.#slots.clear();
    this.#store.clear();
    this.#taken.clear();
    this.#reading.clear();
  }
}
