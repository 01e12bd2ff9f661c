/**
 * How a cache reads a node and its children. Under a persistent watch (ZooKeeper 3.6+) plain
 * reads do, and a walk lists only nodes that have children. Without one (Curator's TreeCache way,
 * for older servers) every read also sets a one-shot watch — data on each node, child list on each
 * parent — each set once and set again when it fires.
 */
import { NoNodeError } from '../../src/core/errors.js';
import type { ZkClient } from '../../src/zookeeper/client.js';
import type { Stat, WatchEvent } from '../../src/zookeeper/types.js';

export interface NodeRead {
  readonly data: Buffer;
  readonly stat: Stat;
}

export interface NodeReader {
  /** The node's data and Stat; null when it does not exist. */
  read(path: string, root: boolean): Promise<NodeRead | null>;
  /** Its children's names; null when it does not exist. */
  list(path: string): Promise<string[] | null>;
  /** Whether a read must be followed by a listing (`walking`: a load or a rebuild is visiting every node). */
  mustList(path: string, stat: Stat, walking: boolean): boolean;
  /** The session changed: no watch of ours is set any more. */
  forgetWatches(): void;
}

const absentOnNoNode = (error: unknown): null => {
  if (error instanceof NoNodeError) return null;
  throw error;
};

/**
 * Reads under a persistent watch: no watch per read, and no abort listener either (a load keeps
 * a thousand reads out; each listener on one signal costs its removal a scan) — a read that comes
 * back after the cache closed is dropped by the cache.
 */
export class PlainReader implements NodeReader {
  readonly #client: ZkClient;
  constructor(client: ZkClient) {
    this.#client = client;
  }
  read(path: string): Promise<NodeRead | null> {
    return this.#client.getData(path).catch(absentOnNoNode);
  }
  async list(path: string): Promise<string[] | null> {
    const listed = await this.#client.getChildren(path).catch(absentOnNoNode);
    return listed?.children ?? null;
  }
  mustList(_path: string, stat: Stat, walking: boolean): boolean {
    return walking && stat.numChildren > 0;
  }
  forgetWatches(): void {}
}

/** Reads that set one-shot watches, each once until it fires; `onEvent` gets what they report. */
export class OneShotReader implements NodeReader {
  readonly #client: ZkClient;
  readonly #signal: AbortSignal;
  readonly #onEvent: (event: WatchEvent) => void;
  readonly #dataWatched = new Set<string>();
  readonly #childrenWatched = new Set<string>();

  constructor(client: ZkClient, signal: AbortSignal, onEvent: (event: WatchEvent) => void) {
    this.#client = client;
    this.#signal = signal;
    this.#onEvent = onEvent;
  }

  #arm(set: Set<string>, path: string, changed: Promise<WatchEvent>): void {
    set.add(path);
    changed.then(
      (event) => {
        set.delete(path);
        if (event.type !== 'SESSION_LOST' && event.type !== 'CLIENT_CLOSED') this.#onEvent(event);
      },
      () => set.delete(path), // the cache closed
    );
  }

  async read(path: string, root: boolean): Promise<NodeRead | null> {
    const options = { signal: this.#signal };
    if (this.#dataWatched.has(path)) return this.#client.getData(path, options).catch(absentOnNoNode);
    try {
      const { value, changed } = await this.#client.watchData(path, options);
      this.#arm(this.#dataWatched, path, changed);
      return value;
    } catch (error) {
      absentOnNoNode(error);
      // A missing root is watched for its creation; other nodes' creation shows in their parent's list.
      if (root) {
        const { value, changed } = await this.#client.watchExists(path, options);
        // Created meanwhile: read it again with a data watch (the wire library never reports a
        // deletion to an existence watch; this one fires at most once more, harmlessly).
        if (value) return this.read(path, root);
        this.#arm(this.#dataWatched, path, changed);
      }
      return null;
    }
  }

  async list(path: string): Promise<string[] | null> {
    const options = { signal: this.#signal };
    try {
      if (this.#childrenWatched.has(path)) return (await this.#client.getChildren(path, options)).children;
      const { value, changed } = await this.#client.watchChildren(path, options);
      this.#arm(this.#childrenWatched, path, changed);
      return value.children;
    } catch (error) {
      return absentOnNoNode(error);
    }
  }

  mustList(path: string, _stat: Stat, walking: boolean): boolean {
    return walking || !this.#childrenWatched.has(path);
  }

  forgetWatches(): void {
    this.#dataWatched.clear();
    this.#childrenWatched.clear();
  }
}
