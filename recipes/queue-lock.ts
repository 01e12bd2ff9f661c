/**
 * The re-entrant lock behind InterProcessMutex and both halves of InterProcessReadWriteLock:
 * a SequentialQueue, a predicate, leases, and ownership keyed by the async call tree
 * (AsyncLocalStorage — the Node analogue of Curator's per-thread ownership).
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { settleAcquire } from '../src/core/deadline.js';
import { ClientClosedError, InvalidArgumentError, LockTimeoutError } from '../src/core/errors.js';
import { checkQueueNodeData } from '../src/zookeeper/request-size.js';
import type { Lease } from '../src/lock/lease.js';
import { type LockEngine, OwnedLock, type TakeRequest } from '../src/lock/owned-lock.js';
import { ReentrantLock } from '../src/lock/reentrant-lock.js';
import { localAddressBytes } from '../src/zookeeper/node-data.js';
import { joinPath, validatePath } from '../src/zookeeper/paths.js';
import { describeNode, type QueueNode, SequentialQueue, type TurnPredicate } from '../src/zookeeper/sequential-queue.js';
import { describeBlock } from '../src/core/wait-trace.js';
import { checkTimeoutMs } from '../src/core/limits.js';
import type { CreateMode } from '../src/zookeeper/types.js';
import { zooKeeperLeaseParts } from '../src/zookeeper/zk-lease.js';
import { RevocationWatch } from './revocation.js';
import { checkOptionKeys, type OptionKeys } from '../src/core/options.js';

/** Options shared by the lock recipes. */
export interface LockOptions {
  /** Data of our lock nodes. @default this host's IP as text (Curator's default); empty when revocable */
  readonly data?: Buffer;
  /** Delete the lock's parent when the last contender leaves (see SequentialQueue): 'auto' leaves it to the server's container reaper (3.5+). @default 'auto' */
  readonly removeEmptyParent?: boolean | 'auto' | { readonly afterMs: number };
  /**
   * A wait still waiting after this many ms is reported once — on `zk-recipes:acquire:slow` and
   * as an info line on the client's logger — naming the node that holds the lock; 0 never.
   * @default 10000
   */
  readonly slowWaitMs?: number;
}

const LOCK_OPTION_KEYS: OptionKeys<LockOptions> = { data: true, removeEmptyParent: true, slowWaitMs: true };

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

/** What the ZooKeeper engine holds for one grant. */
interface QueueHold {
  readonly node: QueueNode;
  revocation?: RevocationWatch;
}

/**
 * A re-entrant lock on a SequentialQueue (the core's sequential-node primitive): what `InterProcessMutex` and both halves of
 * `InterProcessReadWriteLock` are made of. `readLock()`/`writeLock()` return one. Ownership rules
 * are the shared OwnedLock; this file is ZooKeeper's engine under it.
 *
 * ```ts
 * const write = new InterProcessReadWriteLock(client, '/catalog').writeLock();
 * await write.using(() => rebuild(), { timeoutMs: 5_000 });
 * ```
 */
export class QueueLock extends ReentrantLock {
  readonly client: ZkClient;
  readonly path: string;
  readonly #spec: QueueLockSpec;
  readonly #queue: SequentialQueue;
  readonly #data: Buffer | undefined;
  /** The ownership layer over ZooKeeper's engine. */
  protected readonly owned: OwnedLock<QueueHold>;
  #revocationListener: RevocationListener | undefined;

  constructor(client: ZkClient, path: string, spec: QueueLockSpec, options: LockOptions = {}) {
    super();
    if (!client || typeof client.getChildren !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    this.client = client;
    this.path = validatePath(path);
    checkOptionKeys(`${spec.recipe} options`, options, LOCK_OPTION_KEYS);
    if (options.data !== undefined && !Buffer.isBuffer(options.data)) throw new InvalidArgumentError('data must be a Buffer.');
    checkQueueNodeData(`${spec.recipe} data`, client.namespace, this.path, spec.nodeName, options.data?.length ?? 0);
    this.#spec = spec;
    this.#data = options.data;
    this.#queue = new SequentialQueue(client, this.path, { sortNames: spec.sortNames, removeEmptyParent: options.removeEmptyParent });
    const slowWaitMs = checkTimeoutMs('slowWaitMs', options.slowWaitMs ?? 10_000);
    this.owned = new OwnedLock(this.#engine(), {
      beforeTake: spec.beforeJoin,
      slowWait: { afterMs: slowWaitMs, logger: () => client.logger },
    });
  }

  #engine(): LockEngine<QueueHold> {
    const client = this.client;
    return {
      recipe: this.#spec.recipe,
      path: this.path,
      assertUsable: () => {
        if (client.state === 'CLOSED') throw new ClientClosedError('acquire()');
      },
      take: (request) => this.#take(request),
      leave: async (hold) => {
        hold.revocation?.stop();
        await this.#queue.leave(hold.node);
      },
      leaseParts: (hold) => zooKeeperLeaseParts(client, hold.node.path, hold.node.sessionId, hold.node.stat?.czxid),
      // The session check covers the moment between a session change and the state event that reports it.
      lostNow: (hold) => (client.sessionId !== hold.node.sessionId ? 'LOST' : undefined),
      granted: (hold, lease) => {
        const listener = this.#revocationListener;
        if (listener) hold.revocation = new RevocationWatch(client, hold.node.path, () => listener(lease));
      },
      describeHolder: () => this.#describeHolder(),
    };
  }

  /** The first participant's node (the holder, or the first reader), its session and data, and the line's length. */
  async #describeHolder(): Promise<string | undefined> {
    const nodes = await this.getParticipantNodes();
    const first = nodes[0];
    if (first === undefined) return undefined;
    const { data, stat } = await this.client.getData(first);
    return `held through ${describeNode(first.slice(first.lastIndexOf('/') + 1), stat.ephemeralOwner, data)}; ${nodes.length} in line`;
  }

  /** Makes future holds revocable: nodes get empty data and `listener` runs on a revoke request. */
  makeRevocable(listener: RevocationListener): void {
    if (typeof listener !== 'function') throw new InvalidArgumentError('makeRevocable() needs a listener function.');
    this.#revocationListener = listener;
  }

  /** @internal The name of the node the current scope holds this lock through, if it holds it. */
  scopeNodeName(): string | undefined {
    return this.owned.scopeHold()?.node.name;
  }

  /**
   * @internal
   * Throws {@link OwnershipLostError} when the current scope's hold is no longer in force (its
   * lease signal aborted: connection suspended or session lost per the error policy, or the node
   * deleted). Re-entry and downgrade ride only on a hold that is still valid.
   */
  assertScopeHoldValid(): void {
    this.owned.assertScopeHoldValid();
  }

  async #take({ timeoutMs, signal, started, trace }: TakeRequest): Promise<QueueHold> {
    const predicate = this.#spec.predicate();
    const waitDeadline = timeoutMs === undefined ? undefined : started + timeoutMs;
    const data = this.#data ?? (this.#revocationListener ? Buffer.alloc(0) : localAddressBytes());
    const joinAs = this.#spec.joinAs?.();
    // A try (timeoutMs 0) still gets its one look at the queue, bounded by the operation timeout.
    return settleAcquire(
      this.client,
      { path: this.path, timeoutMs, signal, started, trace, discard: (late: QueueHold) => this.#queue.leave(late.node) },
      async (inner) => {
        const node = await this.#queue.join(joinAs?.name ?? this.#spec.nodeName, data, { signal: inner, mode: joinAs?.mode });
        try {
          await this.#queue.waitTurn(node, predicate, {
            signal: inner,
            deadline: waitDeadline,
            onTimeout: () =>
              new LockTimeoutError(this.path, timeoutMs ?? 0, {
                blockedOn: describeBlock(trace),
                leftBehind: 'our queue node was removed',
              }),
            trustSolePredecessor: this.#spec.sequencesOnlyGrow === true,
            trace,
          });
        } catch (error) {
          await this.#queue.leave(node).catch(() => undefined);
          throw error;
        }
        return { node };
      },
    );
  }

  /** Every contender's node path in queue order (the first holds it; readers share). */
  async getParticipantNodes(): Promise<string[]> {
    const sorted = await this.#queue.sortedChildren();
    const keep = this.#spec.isParticipant ?? (() => true);
    return sorted.filter(keep).map((name) => joinPath(this.path, name));
  }
}
