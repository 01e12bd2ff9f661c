/**
 * PersistentNode (Curator's): a node that exists whenever the client has a session. Made again
 * after a session loss or an operator's delete, its data kept to what this process last set.
 *
 * One loop owns the node: make it (or adopt one already there, setting our data), then watch it
 * with a one-shot exists watch; a deletion, a lost session or a failed step sends the loop round
 * again. Nothing here runs in a watch callback, so there is one writer and no interleaving.
 */
import type { ZkClient } from '../../src/zookeeper/client.js';
import { InvalidArgumentError, NodeExistsError, NoNodeError, RecipeClosedError, WaitTimeoutError } from '../../src/core/errors.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../../src/core/options.js';
import { TypedEvents } from '../../src/core/typed-events.js';
import { settleClientWait } from '../../src/core/deadline.js';
import { validateTimeout } from '../../src/zookeeper/client-options.js';
import { joinPath, newProtectedPrefix, nodeNameOf, parentOf, validatePath } from '../../src/zookeeper/paths.js';
import { isRetryable } from '../../src/zookeeper/retry.js';
import { CreateMode, type Acl, type OperationOptions } from '../../src/zookeeper/types.js';
import { backoff, isClosed } from '../leader-latch.js';

/**
 * What kind of node to keep: `ephemeral` (gone with the session, made again in the next),
 * `protected-ephemeral` (the same under Curator's `_c_<uuid>-` name, so two processes never
 * share one), `persistent`, `container` (reaped by the server once empty) or `ttl` (persistent
 * but removed by the server after `ttlMs` without a change while childless; needs
 * `zookeeper.extendedTypesEnabled=true`).
 */
export type PersistentNodeMode = 'ephemeral' | 'protected-ephemeral' | 'persistent' | 'container' | 'ttl';

/** Options of {@link PersistentNode}. */
export interface PersistentNodeOptions {
  /** @default 'ephemeral' */
  readonly mode?: PersistentNodeMode;
  /** The TTL of a `ttl` node, in ms; only for that mode. */
  readonly ttlMs?: number;
  /** The node's ACL. @default the client's ACL provider's */
  readonly acl?: readonly Acl[];
  /** Make missing parents, as CONTAINER nodes (Curator's `creatingParentContainersIfNeeded`). @default true */
  readonly createParents?: boolean;
}

/** Events of a {@link PersistentNode}. */
export interface PersistentNodeEvents {
  [event: string]: unknown[];
  /** This process made the node (first time, or again after a session loss or a delete). */
  created: [path: string];
  /** A background step failed for a reason other than the connection; the node keeps trying. */
  error: [error: unknown];
}

const OPTION_KEYS: OptionKeys<PersistentNodeOptions> = { mode: true, ttlMs: true, acl: true, createParents: true };
const WAIT_KEYS: OptionKeys<OperationOptions> = { signal: true, timeoutMs: true };
const MODES: Record<PersistentNodeMode, CreateMode> = {
  ephemeral: CreateMode.EPHEMERAL,
  'protected-ephemeral': CreateMode.EPHEMERAL,
  persistent: CreateMode.PERSISTENT,
  container: CreateMode.CONTAINER,
  ttl: CreateMode.PERSISTENT_WITH_TTL,
};

/**
 * ```ts
 * const node = new PersistentNode(client, '/services/api/host-1', Buffer.from('10.0.0.7:8080'));
 * node.start();
 * await node.waitForInitialCreate({ timeoutMs: 5000 });
 * await node.setData(Buffer.from('10.0.0.7:9090')); // kept through session losses
 * await node.close(); // deletes it
 * ```
 */
export class PersistentNode implements AsyncDisposable {
  readonly client: ZkClient;
  /** The path asked for; {@link actualPath} differs for `protected-ephemeral`. */
  readonly path: string;
  readonly mode: PersistentNodeMode;
  readonly #options: PersistentNodeOptions;
  readonly #events = new TypedEvents<PersistentNodeEvents>();
  readonly #target: string;
  readonly #stop = new AbortController();
  #data: Buffer | null;
  /** Bumped by setData: the loop writes the data again when what it last wrote is older. */
  #dataVersion = 0;
  #written = -1;
  #created = false;
  #loop: Promise<void> | undefined;
  #closed = false;
  /** A create was cut short by close(): it may still have been applied, so close() deletes anyway. */
  #createUnsettled = false;
  readonly #createdWaiters = new Set<() => void>();

  constructor(client: ZkClient, path: string, data: Buffer | null = null, options: PersistentNodeOptions = {}) {
    if (!client || typeof client.create !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    checkOptionKeys('PersistentNode options', options, OPTION_KEYS);
    this.client = client;
    this.path = validatePath(path);
    if (this.path === '/') throw new InvalidArgumentError('PersistentNode needs a path below the root.');
    const mode = options.mode ?? 'ephemeral';
    if (!Object.hasOwn(MODES, mode))
      throw new InvalidArgumentError(`mode must be one of ${Object.keys(MODES).join(', ')}; got ${describeValue(mode)}.`);
    if (mode === 'ttl' && (typeof options.ttlMs !== 'number' || !Number.isInteger(options.ttlMs) || options.ttlMs < 1))
      throw new InvalidArgumentError(`mode 'ttl' needs ttlMs, a positive integer of ms; got ${describeValue(options.ttlMs)}.`);
    if (mode !== 'ttl' && options.ttlMs !== undefined)
      throw new InvalidArgumentError(`ttlMs is only for mode 'ttl' (this node is '${mode}').`);
    if (options.createParents !== undefined && typeof options.createParents !== 'boolean')
      throw new InvalidArgumentError(`createParents must be a boolean, got ${describeValue(options.createParents)}.`);
    checkNodeData(data);
    this.mode = mode;
    this.#options = options;
    this.#data = data;
    this.#target = mode === 'protected-ephemeral' ? joinPath(parentOf(this.path), newProtectedPrefix() + nodeNameOf(this.path)) : this.path;
  }

  /** The node's path while it exists (for `protected-ephemeral`, with its `_c_<uuid>-` name). */
  get actualPath(): string | undefined {
    return this.#created ? this.#target : undefined;
  }

  /** The data the node is kept at. */
  get data(): Buffer | null {
    return this.#data;
  }

  /** Starts keeping the node; returns at once (see {@link waitForInitialCreate}). */
  start(): void {
    if (this.#closed) throw new RecipeClosedError(`PersistentNode ${this.path}`);
    if (this.#loop) throw new InvalidArgumentError(`PersistentNode ${this.path} was already started.`);
    this.#loop = this.#run(this.#stop.signal);
  }

  /**
   * Resolves with {@link actualPath} once the node exists (made or adopted); WaitTimeoutError
   * after `timeoutMs`, the signal's reason on abort, RecipeClosedError if closed meanwhile.
   */
  async waitForInitialCreate(options: OperationOptions = {}): Promise<string> {
    checkOptionKeys('waitForInitialCreate() options', options, WAIT_KEYS);
    const timeoutMs = validateTimeout('timeoutMs', options.timeoutMs, 'to wait without a limit');
    if (!this.#loop) throw new InvalidArgumentError(`PersistentNode ${this.path} is not started: call start() first.`);
    return settleClientWait(
      this.client,
      {
        timeoutMs,
        signal: options.signal,
        onTimeout: () =>
          new WaitTimeoutError('PersistentNode.waitForInitialCreate()', this.path, timeoutMs ?? 0, {
            cleanedUp: 'the node keeps trying in the background',
          }),
      },
      (_deadline, signal) => this.#whenCreated(signal),
    );
  }

  /**
   * Sets the data to keep. Resolves once the server has it, or at once while the node does not
   * exist (it is made with this data); a write that fails for the connection's sake is done
   * again by the node's loop.
   */
  async setData(data: Buffer | null): Promise<void> {
    checkNodeData(data);
    if (this.#closed) throw new RecipeClosedError(`PersistentNode ${this.path}`);
    this.#data = data;
    const version = ++this.#dataVersion;
    if (!this.#created) return;
    try {
      await this.client.setData(this.#target, data);
      this.#written = Math.max(this.#written, version);
    } catch (error) {
      if (!(error instanceof NoNodeError) && !isRetryable(error)) throw error;
    }
  }

  /** Subscribes to `created` or `error`; returns the unsubscribe function. */
  on<K extends keyof PersistentNodeEvents>(event: K, listener: (...args: PersistentNodeEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Stops keeping the node and deletes it. An ephemeral node that cannot be deleted now (no
   * connection) goes with the session; a persistent one is reported by the rejection.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort(new RecipeClosedError(`PersistentNode ${this.path}`));
    for (const wake of this.#createdWaiters) wake();
    await this.#loop;
    const wasCreated = this.#created || this.#createUnsettled;
    this.#created = false;
    this.#events.removeAllListeners();
    if (!wasCreated || isClosed(this.client)) return;
    try {
      await this.client.delete(this.#target);
    } catch (error) {
      if (error instanceof NoNodeError) return;
      const ephemeral = this.mode === 'ephemeral' || this.mode === 'protected-ephemeral';
      if (!(ephemeral && isRetryable(error))) throw error;
    }
  }

  /** `await using node = ...`: closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #whenCreated(signal: AbortSignal | undefined): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const check = () => {
        if (this.#created) done(() => resolve(this.#target));
        else if (this.#closed) done(() => reject(new RecipeClosedError(`PersistentNode ${this.path}`)));
        else if (signal?.aborted) done(() => reject(signal.reason));
      };
      const done = (settle: () => void) => {
        this.#createdWaiters.delete(check);
        signal?.removeEventListener('abort', check);
        settle();
      };
      this.#createdWaiters.add(check);
      signal?.addEventListener('abort', check, { once: true });
      check();
    });
  }

  #markCreated(made: boolean): void {
    const first = !this.#created;
    this.#created = true;
    if (made) this.#events.emit('created', this.#target);
    if (first) for (const wake of [...this.#createdWaiters]) wake();
  }

  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted && !isClosed(this.client)) {
      try {
        if (!this.client.connected) await this.client.blockUntilConnected({ signal });
        if (signal.aborted) break;
        const watched = await this.client.watchExists(this.#target, { signal });
        if (watched.value === null) {
          this.#created = false;
          await this.#make(signal);
          continue; // watch what we made
        }
        if (!this.#created) this.#markCreated(false); // there already (ours from a retry, or adopted)
        if (this.#written < this.#dataVersion) await this.#writeData();
        failures = 0;
        const event = await watched.changed;
        if (event.type === 'CLIENT_CLOSED') break;
      } catch (error) {
        if (signal.aborted || isClosed(this.client)) break;
        if (!isRetryable(error)) this.#events.emit('error', error);
        await backoff(Math.min(100 * 2 ** failures++, 2000), signal);
      }
    }
  }

  async #make(signal: AbortSignal): Promise<void> {
    const version = this.#dataVersion;
    try {
      await this.client.create(this.#target, this.#data, {
        mode: MODES[this.mode],
        signal,
        ...(this.mode === 'ttl' ? { ttlMs: this.#options.ttlMs } : {}),
        ...(this.#options.acl ? { acl: this.#options.acl } : {}),
        ...(this.#options.createParents === false ? {} : { createParents: 'container' as const }),
      });
      this.#written = Math.max(this.#written, version);
      this.#markCreated(true);
    } catch (error) {
      // Stopped before the answer: the request may have reached the server all the same.
      if (signal.aborted) this.#createUnsettled = true;
      // Someone's node is there (or ours, from a create retried after its reply was lost):
      // adopt it, as Curator does, and make its data ours on the next round.
      if (!(error instanceof NodeExistsError)) throw error;
      this.#written = -1;
    }
  }

  async #writeData(): Promise<void> {
    const version = this.#dataVersion;
    await this.client.setData(this.#target, this.#data);
    this.#written = Math.max(this.#written, version);
  }
}

function checkNodeData(data: unknown): void {
  if (data !== null && !Buffer.isBuffer(data)) throw new InvalidArgumentError(`data must be a Buffer or null, got ${describeValue(data)}.`);
}
