/**
 * PersistentTtlNode (Curator's layout): a node that outlives a session but not its process. The
 * node itself is a CONTAINER kept by a {@link PersistentNode}; under it a `touch` child is a TTL
 * node this process touches every `ttlMs / 2`. When the process dies (or is cut off longer than
 * the TTL) the server removes the untouched child after `ttlMs`, and the container, now empty,
 * is reaped after it. Needs `zookeeper.extendedTypesEnabled=true` on the server.
 */
import type { ZkClient } from '../../src/zookeeper/client.js';
import { InvalidArgumentError, NoNodeError, NodeExistsError } from '../../src/core/errors.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../../src/core/options.js';
import { joinPath } from '../../src/zookeeper/paths.js';
import { isRetryable } from '../../src/zookeeper/retry.js';
import { CreateMode, type OperationOptions } from '../../src/zookeeper/types.js';
import { TypedEvents } from '../../src/core/typed-events.js';
import { isClosed } from '../leader-latch.js';
import { PersistentNode, type PersistentNodeEvents } from './persistent-node.js';

/** Options of {@link PersistentTtlNode}. */
export interface PersistentTtlNodeOptions {
  /** The name of the touched child. @default 'touch' (Curator's) */
  readonly childName?: string;
  /** Touches per TTL. @default 2 (Curator's) */
  readonly touchesPerTtl?: number;
}

const OPTION_KEYS: OptionKeys<PersistentTtlNodeOptions> = { childName: true, touchesPerTtl: true };

/**
 * ```ts
 * // Stays while this process runs, goes about a minute after it stops.
 * const node = new PersistentTtlNode(client, '/jobs/owners/report-42', 60_000, Buffer.from('host-1'));
 * node.start();
 * await node.waitForInitialCreate({ timeoutMs: 5000 });
 * ```
 */
export class PersistentTtlNode implements AsyncDisposable {
  readonly client: ZkClient;
  readonly path: string;
  readonly ttlMs: number;
  /** The touched TTL child's path. */
  readonly childPath: string;
  readonly #node: PersistentNode;
  readonly #events = new TypedEvents<PersistentNodeEvents>();
  readonly #touchEveryMs: number;
  #timer: NodeJS.Timeout | undefined;
  #touching: Promise<void> | undefined;
  #touchAgain = false;
  #closed = false;

  constructor(client: ZkClient, path: string, ttlMs: number, data: Buffer | null = null, options: PersistentTtlNodeOptions = {}) {
    checkOptionKeys('PersistentTtlNode options', options, OPTION_KEYS);
    if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 2)
      throw new InvalidArgumentError(`ttlMs must be an integer of at least 2 ms, got ${describeValue(ttlMs)}.`);
    const touches = options.touchesPerTtl ?? 2;
    if (typeof touches !== 'number' || !Number.isInteger(touches) || touches < 2)
      throw new InvalidArgumentError(
        `touchesPerTtl must be an integer of at least 2 (a touch must land within each TTL), got ${describeValue(touches)}.`,
      );
    const childName = options.childName ?? 'touch';
    if (typeof childName !== 'string' || childName === '' || childName.includes('/'))
      throw new InvalidArgumentError(`childName must be a node name (no '/'), got ${describeValue(childName)}.`);
    this.#node = new PersistentNode(client, path, data, { mode: 'container' });
    this.client = client;
    this.path = this.#node.path;
    this.ttlMs = ttlMs;
    this.childPath = joinPath(this.path, childName);
    this.#touchEveryMs = Math.max(1, Math.floor(ttlMs / touches));
    // An empty container is reaped: touch as soon as it is (re)made, not a period later.
    this.#node.on('created', (made) => {
      this.#events.emit('created', made);
      this.#touchNow();
    });
    this.#node.on('error', (error) => this.#events.emit('error', error));
  }

  /** The data the node is kept at. */
  get data(): Buffer | null {
    return this.#node.data;
  }

  /** Starts keeping the node and touching its child; returns at once. */
  start(): void {
    this.#node.start();
    this.#schedule(this.#touchEveryMs);
  }

  /** Resolves with the path once the node exists (see {@link PersistentNode.waitForInitialCreate}). */
  waitForInitialCreate(options: OperationOptions = {}): Promise<string> {
    return this.#node.waitForInitialCreate(options);
  }

  /** Sets the node's data (kept through session losses). */
  setData(data: Buffer | null): Promise<void> {
    return this.#node.setData(data);
  }

  /** Subscribes to the node's `created` or `error`. */
  on<K extends keyof PersistentNodeEvents>(event: K, listener: (...args: PersistentNodeEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Stops touching, deletes the child and the node. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#touching;
    this.#events.removeAllListeners();
    if (isClosed(this.client)) return this.#node.close(); // the client is gone: the TTL ends it
    await this.client.delete(this.childPath).catch((error: unknown) => {
      if (!(error instanceof NoNodeError) && !isRetryable(error)) throw error;
    });
    await this.#node.close();
  }

  /** `await using node = ...`: closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    if (!this.#closed && !isClosed(this.client)) this.#timer = setTimeout(() => this.#touchNow(), delayMs);
  }

  #touchNow(): void {
    if (this.#closed) return;
    if (this.#touching) {
      this.#touchAgain = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#touching = this.#touch().finally(() => {
      this.#touching = undefined;
      const again = this.#touchAgain;
      this.#touchAgain = false;
      if (again) this.#touchNow();
      else this.#schedule(this.#touchEveryMs);
    });
  }

  /** setData on the child, or create it (as Curator's touch does); failures wait for the next touch. */
  async #touch(): Promise<void> {
    if (!this.#node.actualPath || isClosed(this.client)) return; // the container first: the child would make it a plain node
    try {
      await this.client.setData(this.childPath, null);
    } catch (error) {
      if (!(error instanceof NoNodeError)) return this.#report(error);
      await this.client
        .create(this.childPath, null, { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: this.ttlMs })
        .catch((createError: unknown) => {
          if (!(createError instanceof NodeExistsError)) this.#report(createError);
        });
    }
  }

  /** The container vanishing under us (NoNode) or the connection are routine; the rest is told. */
  #report(error: unknown): void {
    if (error instanceof NoNodeError || isRetryable(error) || isClosed(this.client)) return;
    this.#events.emit('error', error);
  }
}
