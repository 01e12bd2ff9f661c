/**
 * The re-entrant lock behind InterProcessMutex and both halves of InterProcessReadWriteLock:
 * a SequentialQueue, a predicate, leases, and ownership keyed by the async call tree
 * (AsyncLocalStorage — the Node analogue of Curator's per-thread ownership).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  AlreadyReleasedError,
  checkQueueNodeData,
  ClientClosedError,
  type CreateMode,
  InvalidArgumentError,
  joinPath,
  Lease,
  LockTimeoutError,
  localAddressBytes,
  NotOwnerError,
  OwnershipLostError,
  publish,
  type QueueNode,
  SequentialQueue,
  settleAcquire,
  type TurnPredicate,
  validatePath,
  validateTimeout,
  type ZkClient,
} from '../src/index.js';
import { RevocationWatch } from './revocation.js';

/** Options of every wait for a lock. */
export interface AcquireOptions {
  /** Give up waiting after this many ms with {@link LockTimeoutError}; our node is removed. @default wait forever */
  readonly timeoutMs?: number;
  /** Abort the wait; rejects with the signal's reason and removes our node. */
  readonly signal?: AbortSignal;
}

/** Options shared by the lock recipes. */
export interface LockOptions {
  /** Data of our lock nodes. @default this host's IP as text (Curator's default); empty when revocable */
  readonly data?: Buffer;
  /** Delete the lock's parent when the last contender leaves (see SequentialQueue): 'auto' leaves it to the server's container reaper (3.5+). @default 'auto' */
  readonly removeEmptyParent?: boolean | 'auto' | { readonly afterMs: number };
}

/** Called (on a later tick) when another process asks the holder to give the lock up. */
export type RevocationListener = (lease: Lease) => void;

/** What makes a QueueLock a particular recipe: node name, ordering and predicate. */
export interface QueueLockSpec {
  /** Recipe name for diagnostics, e.g. `InterProcessMutex`. */
  readonly recipe: string;
  /** Node name after the protected prefix, e.g. `lock-`, `__READ__`. */
  readonly nodeName: string;
  /** Names whose suffix orders the queue. */
  readonly sortNames: readonly string[];
  /** Picks the predicate at acquire time, in the caller's async context. */
  readonly predicate: () => TurnPredicate;
  /** Throws when this acquire can never succeed (e.g. a reader asking for the write lock). */
  readonly beforeJoin?: () => void;
  /** True when no node can ever sort ahead of an existing one (see WaitOptions.trustSolePredecessor). */
  readonly sequencesOnlyGrow?: boolean;
  /** Which children count as participants (all by default). */
  readonly isParticipant?: (nodeName: string) => boolean;
  /**
   * Names our node otherwise than `nodeName` + a sequence, decided at acquire time in the caller's
   * scope (a downgrade's read node takes the write node's sequence). Undefined: the default.
   */
  readonly joinAs?: () => { readonly name: string; readonly mode: CreateMode } | undefined;
}

interface Hold {
  readonly node: QueueNode;
  count: number;
  readonly leases: Lease[];
  revocation?: RevocationWatch;
  /** Set once ownership was lost: nothing may be granted on the strength of this hold again. */
  lost?: OwnershipLostError;
}

/** `tryAcquire()` semantics: the result, or null when the wait timed out (LockTimeoutError). */
export async function nullOnTimeout<T>(attempt: Promise<T>): Promise<T | null> {
  try {
    return await attempt;
  } catch (error) {
    if (error instanceof LockTimeoutError) return null;
    throw error;
  }
}

/** Validates the options of acquire() and friends, before any network call. */
export function validateAcquireOptions(options: AcquireOptions | undefined): AcquireOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('options must be an object like { timeoutMs, signal }.');
  const { signal } = options;
  validateTimeout('timeoutMs', options.timeoutMs);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError('signal must be an AbortSignal.');
  return options;
}

/**
 * A re-entrant lock on a {@link SequentialQueue}: what `InterProcessMutex` and both halves of
 * `InterProcessReadWriteLock` are made of. `readLock()`/`writeLock()` return one.
 *
 * ```ts
 * const write = new InterProcessReadWriteLock(client, '/catalog').writeLock();
 * await write.using(() => rebuild(), { timeoutMs: 5_000 });
 * ```
 */
export class QueueLock {
  readonly client: ZkClient;
  readonly path: string;
  readonly #spec: QueueLockSpec;
  readonly #queue: SequentialQueue;
  readonly #data: Buffer | undefined;
  readonly #scope = new AsyncLocalStorage<Hold>();
  readonly #holds = new Set<Hold>();
  #revocationListener: RevocationListener | undefined;

  constructor(client: ZkClient, path: string, spec: QueueLockSpec, options: LockOptions = {}) {
    if (!client || typeof client.getChildren !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    this.client = client;
    this.path = validatePath(path);
    if (options.data !== undefined && !Buffer.isBuffer(options.data)) throw new InvalidArgumentError('data must be a Buffer.');
    checkQueueNodeData(`${spec.recipe} data`, client.namespace, this.path, spec.nodeName, options.data?.length ?? 0);
    this.#spec = spec;
    this.#data = options.data;
    this.#queue = new SequentialQueue(client, this.path, { sortNames: spec.sortNames, removeEmptyParent: options.removeEmptyParent });
  }

  /** Makes future holds revocable: nodes get empty data and `listener` runs on a revoke request. */
  makeRevocable(listener: RevocationListener): void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('makeRevocable() needs a listener function.');
    this.#revocationListener = listener;
  }

  /** True when the current async call tree holds this lock (even if ownership was lost since). */
  isOwnedByCurrentScope(): boolean {
    const hold = this.#scope.getStore();
    return hold !== undefined && hold.count > 0;
  }

  /** The name of the node the current scope holds this lock through, if it holds it. */
  scopeNodeName(): string | undefined {
    const hold = this.#scope.getStore();
    return hold && hold.count > 0 ? hold.node.name : undefined;
  }

  /**
   * Throws {@link OwnershipLostError} when the current scope's hold is no longer in force (its
   * lease signal aborted: connection suspended or session lost per the error policy, or the node
   * deleted). Re-entry and downgrade ride only on a hold that is still valid.
   */
  assertScopeHoldValid(): void {
    const hold = this.#scope.getStore();
    if (!hold || hold.count <= 0) return;
    // Every lease of the hold reports its loss (onLost); the session check covers the moment
    // between a session change and the state event that reports it.
    if (!hold.lost && this.client.sessionId !== hold.node.sessionId) hold.lost = new OwnershipLostError(this.path, 'LOST');
    if (hold.lost) throw new OwnershipLostError(this.path, hold.lost.state);
  }

  /** True when any flow of this process holds this lock object. */
  isAcquiredInThisProcess(): boolean {
    return this.#holds.size > 0;
  }

  /** Waits for the lock → Lease (LockTimeoutError on timeout, the signal's reason on abort; our node is removed either way). Re-enters inside an owner scope. */
  async acquire(options?: AcquireOptions): Promise<Lease> {
    const { timeoutMs, signal } = validateAcquireOptions(options);
    if (this.client.state === 'CLOSED') throw new ClientClosedError('acquire()');
    signal?.throwIfAborted();
    const current = this.#scope.getStore();
    if (current && current.count > 0) {
      this.assertScopeHoldValid();
      current.count++; // re-entry: no round trip
      return this.#newLease(current);
    }
    this.#spec.beforeJoin?.();
    const started = Date.now();
    publish('zk-recipes:acquire:start', { recipe: this.#spec.recipe, path: this.path });
    try {
      const lease = await this.#acquireNew(timeoutMs, signal);
      publish('zk-recipes:acquire:end', {
        recipe: this.#spec.recipe,
        path: this.path,
        ok: true,
        waitMs: Date.now() - started,
        nodePath: lease.nodePath,
      });
      return lease;
    } catch (error) {
      publish('zk-recipes:acquire:end', { recipe: this.#spec.recipe, path: this.path, ok: false, waitMs: Date.now() - started, error });
      throw error;
    }
  }

  async #acquireNew(timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<Lease> {
    const predicate = this.#spec.predicate();
    const started = Date.now();
    const waitDeadline = timeoutMs === undefined ? undefined : started + timeoutMs;
    const data = this.#data ?? (this.#revocationListener ? Buffer.alloc(0) : localAddressBytes());
    const joinAs = this.#spec.joinAs?.();
    // A try (timeoutMs 0) still gets its one look at the queue, bounded by the operation timeout.
    return settleAcquire(
      this.client,
      { path: this.path, timeoutMs, signal, started, discard: (late: Lease) => late.release() },
      async (inner) => {
        const node = await this.#queue.join(joinAs?.name ?? this.#spec.nodeName, data, { signal: inner, mode: joinAs?.mode });
        try {
          await this.#queue.waitTurn(node, predicate, {
            signal: inner,
            deadline: waitDeadline,
            onTimeout: () => new LockTimeoutError(this.path, timeoutMs ?? 0),
            trustSolePredecessor: this.#spec.sequencesOnlyGrow === true,
          });
        } catch (error) {
          await this.#queue.leave(node).catch(() => undefined);
          throw error;
        }
        return this.#grant(node);
      },
    );
  }

  #grant(node: QueueNode): Lease {
    const hold: Hold = { node, count: 1, leases: [] };
    this.#holds.add(hold);
    const lease = this.#newLease(hold);
    const listener = this.#revocationListener;
    if (listener) hold.revocation = new RevocationWatch(this.client, node.path, () => listener(lease));
    return lease;
  }

  /** The lock if it is free right now, else null (no node is left). */
  async tryAcquire(): Promise<Lease | null> {
    return nullOnTimeout(this.acquire({ timeoutMs: 0 }));
  }

  /** Runs `fn(lease)` holding the lock, inside its owner scope, and releases in `finally`. */
  async using<T>(fn: (lease: Lease) => Promise<T> | T, options?: AcquireOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('using() needs a function to run while holding the lock.');
    const lease = await this.acquire(options);
    try {
      return await lease.run(fn);
    } finally {
      // fn may have released it itself (e.g. after a downgrade): that is fine.
      if (!lease.released) await lease.release();
    }
  }

  /** Releases one hold of the current scope (Curator's `release()`). */
  async release(): Promise<void> {
    const hold = this.#scope.getStore();
    const lease = hold?.leases.findLast((l) => !l.released);
    if (!hold || !lease) {
      throw new NotOwnerError(
        `You do not own the lock ${this.path} in this async call tree. Release from inside using()/lease.run(), or call lease.release().`,
      );
    }
    await lease.release();
  }

  /** Every contender's node path in queue order (the first holds it; readers share). */
  async getParticipantNodes(): Promise<string[]> {
    const sorted = await this.#queue.sortedChildren();
    const keep = this.#spec.isParticipant ?? (() => true);
    return sorted.filter(keep).map((name) => joinPath(this.path, name));
  }

  #newLease(hold: Hold): Lease {
    const lease: Lease = new Lease({
      client: this.client,
      lockPath: this.path,
      nodePath: hold.node.path,
      sessionId: hold.node.sessionId,
      fencingToken: hold.node.stat?.czxid,
      runInScope: (fn) => this.#scope.run(hold, fn),
      onLost: (reason) => {
        hold.lost ??= reason;
      },
      assertMayRelease: () => {
        const scope = this.#scope.getStore();
        if (scope && scope !== hold && scope.count > 0) {
          throw new NotOwnerError(
            `This lease on ${this.path} belongs to another owner scope; only its owner (or code outside any owner scope) may release it.`,
          );
        }
      },
      release: async () => {
        if (hold.count <= 0) throw new AlreadyReleasedError(`The lock ${this.path}`);
        hold.count--;
        if (hold.count > 0) return;
        this.#holds.delete(hold);
        hold.revocation?.stop();
        await this.#queue.leave(hold.node);
      },
    });
    hold.leases.push(lease);
    return lease;
  }
}
