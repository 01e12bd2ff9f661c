/**
 * WorkPartitioner: splits named partitions among the members of a group so that each has
 * exactly one owner at a time, fenced.
 *
 * Layout under `path`: `members/<id>` (a GroupMember each), `assignment` (who should own what,
 * JSON, written only by the coordinator — the member with the smallest id — with a version
 * check) and `locks/<partition>` (an InterProcessMutex each). The assignment says who *should*
 * own a partition; the lock is what makes one the owner, so two members never own a partition
 * at once even while their views of the group differ: the new owner waits on the lock until the
 * old one has given it up (it does when it reads the new assignment) or lost it (its session
 * ended). Each owned partition comes with the lock's Lease: its `signal` aborts on loss and its
 * `fencingToken()` (the lock node's czxid, growing with each new owner) lets a store refuse a
 * stale owner's late writes.
 */
import type { ZkClient } from '../../src/zookeeper/client.js';
import {
  BadVersionError,
  InvalidArgumentError,
  NodeExistsError,
  NoNodeError,
  RecipeClosedError,
  WaitTimeoutError,
} from '../../src/core/errors.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../../src/core/options.js';
import { settleClientWait } from '../../src/core/deadline.js';
import { TypedEvents } from '../../src/core/typed-events.js';
import { validateTimeout } from '../../src/zookeeper/client-options.js';
import { isRetryable } from '../../src/zookeeper/retry.js';
import { joinPath, validatePath } from '../../src/zookeeper/paths.js';
import type { OperationOptions } from '../../src/zookeeper/types.js';
import type { Lease } from '../../src/lock/lease.js';
import { CuratorCache } from '../cache/curator-cache.js';
import { InterProcessMutex } from '../mutex.js';
import { backoff, isClosed } from '../leader-latch.js';
import { checkMemberId, GroupMember } from '../nodes/group-member.js';
import { type Assignment, decodeAssignment, encodeAssignment, rebalance, sameAssignment } from './assignment.js';

/**
 * Where a partitioner stands (Kazoo's SetPartitioner states): `allocating` while it waits for
 * partitions assigned to it, `releasing` while it gives some up, `acquired` when it owns exactly
 * its share, `failure` while its connection is down, `closed`.
 */
export type PartitionerState = 'latent' | 'allocating' | 'acquired' | 'releasing' | 'failure' | 'closed';

/** Why a partition was given up. */
export type RevokeReason = 'rebalanced' | 'lost' | 'closed';

/** Events of a {@link WorkPartitioner}. */
export interface WorkPartitionerEvents {
  [event: string]: unknown[];
  /** This member now owns `partition`; stop working on it when `lease.signal` aborts. */
  assigned: [partition: string, lease: Lease];
  /** This member no longer owns `partition` (given to another, lost, or closing). */
  revoked: [partition: string, reason: RevokeReason];
  /** The state changed. */
  state: [state: PartitionerState];
  /** A background failure; the partitioner keeps trying. */
  error: [error: unknown];
}

/** Options of {@link WorkPartitioner}. */
export interface WorkPartitionerOptions {
  /** This member's id: a node name, unique in the group. */
  readonly id: string;
  /** The partitions (node names), or a count `n` for `'0'`…`'n-1'`. Give every member the same. */
  readonly partitions: readonly string[] | number;
  /** This member's data in the group. @default null */
  readonly data?: Buffer | null;
}

const OPTION_KEYS: OptionKeys<WorkPartitionerOptions> = { id: true, partitions: true, data: true };
const WAIT_KEYS: OptionKeys<OperationOptions> = { signal: true, timeoutMs: true };

function checkPartitions(value: unknown): string[] {
  const list =
    typeof value === 'number' && Number.isInteger(value) && value > 0 ? Array.from({ length: value }, (_, i) => String(i)) : value;
  if (!Array.isArray(list) || list.length === 0)
    throw new InvalidArgumentError(`partitions must be a non-empty list of names or a positive count, got ${describeValue(value)}.`);
  for (const name of list) {
    if (typeof name !== 'string' || name === '' || name.includes('/') || name === '.' || name === '..')
      throw new InvalidArgumentError(`a partition must be a node name (not empty, no '/'), got ${describeValue(name)}.`);
  }
  if (new Set(list).size !== list.length) throw new InvalidArgumentError('partitions must not repeat a name.');
  return [...list] as string[];
}

/**
 * ```ts
 * const partitioner = new WorkPartitioner(client, '/jobs/shards', { id: 'worker-1', partitions: 64 });
 * partitioner.on('assigned', (shard, lease) => consume(shard, { signal: lease.signal, token: lease.fencingToken() }));
 * partitioner.on('revoked', (shard) => stopConsuming(shard));
 * await partitioner.start({ timeoutMs: 10_000 });
 * ```
 */
export class WorkPartitioner implements AsyncDisposable {
  readonly client: ZkClient;
  readonly path: string;
  readonly id: string;
  readonly partitions: readonly string[];
  readonly #member: GroupMember;
  readonly #assignmentCache: CuratorCache<Buffer>;
  readonly #events = new TypedEvents<WorkPartitionerEvents>();
  readonly #owned = new Map<string, Lease>();
  readonly #acquiring = new Map<string, AbortController>();
  readonly #releasing = new Set<string>();
  readonly #stop = new AbortController();
  #assignment: { owners: Assignment; version: number } | undefined;
  #state: PartitionerState = 'latent';
  #reconciling: Promise<void> | undefined;
  #again = false;
  #offState: (() => void) | undefined;
  /** Set once the group and the assignment are loaded: a half-loaded view must not coordinate. */
  #loaded = false;
  /** Whether the assignment as read is the balanced one for the group as seen (nothing to move). */
  #fits = false;
  readonly #stateWaiters = new Set<() => void>();

  constructor(client: ZkClient, path: string, options: WorkPartitionerOptions) {
    if (!client || typeof client.create !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('WorkPartitioner needs options: { id, partitions }.');
    checkOptionKeys('WorkPartitioner options', options, OPTION_KEYS);
    this.client = client;
    this.path = validatePath(path);
    this.id = checkMemberId(options.id);
    this.partitions = checkPartitions(options.partitions);
    this.#member = new GroupMember(client, joinPath(this.path, 'members'), this.id, options.data ?? null);
    this.#assignmentCache = new CuratorCache(client, this.#assignmentPath, { mode: 'node' });
    this.#member.on('joined', () => this.#schedule());
    this.#member.on('left', () => this.#schedule());
    this.#member.on('error', (error) => this.#events.emit('error', error));
    const onAssignment = (node: { data: Buffer; stat: { version: number } }) => {
      this.#assignment = { owners: decodeAssignment(node.data) ?? new Map(), version: node.stat.version };
      this.#schedule();
    };
    this.#assignmentCache.on('created', onAssignment);
    this.#assignmentCache.on('changed', onAssignment);
    this.#assignmentCache.on('deleted', () => {
      this.#assignment = undefined;
      this.#schedule();
    });
    this.#assignmentCache.on('error', (error) => this.#events.emit('error', error));
  }

  get #assignmentPath(): string {
    return joinPath(this.path, 'assignment');
  }

  /** Where this member stands. */
  get state(): PartitionerState {
    return this.#state;
  }

  /** The partitions this member owns now, with their leases. */
  owned(): ReadonlyMap<string, Lease> {
    return new Map(this.#owned);
  }

  /** The assignment as this member last read it: the member that should own each partition. */
  assignment(): ReadonlyMap<string, string> {
    return new Map(this.#assignment?.owners ?? []);
  }

  /** The members this member sees, by id, with their data. */
  members(): Map<string, Buffer> {
    return this.#member.members();
  }

  /** Subscribes to `assigned`, `revoked`, `state` or `error`. */
  on<K extends keyof WorkPartitionerEvents>(event: K, listener: (...args: WorkPartitionerEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Joins the group and starts following the assignment; resolves once joined (partitions come
   * as `assigned` events). A start that fails or times out leaves the group (the partitioner is
   * closed then).
   */
  async start(options: OperationOptions = {}): Promise<void> {
    checkOptionKeys('WorkPartitioner.start() options', options, WAIT_KEYS);
    validateTimeout('timeoutMs', options.timeoutMs, 'to wait without a limit');
    if (this.#state !== 'latent') throw new InvalidArgumentError(`WorkPartitioner ${this.id} on ${this.path} was already started.`);
    this.#setState('allocating');
    this.#offState = this.client.on('state', () => this.#schedule());
    try {
      await Promise.all([this.#member.start(options), this.#assignmentCache.start(options)]);
    } catch (error) {
      await this.close();
      throw error;
    }
    this.#loaded = true;
    this.#schedule();
  }

  /**
   * Resolves once this member owns exactly the partitions the assignment gives it (state
   * `acquired`); WaitTimeoutError after `timeoutMs`, the signal's reason on abort.
   */
  async waitUntilAcquired(options: OperationOptions = {}): Promise<void> {
    checkOptionKeys('waitUntilAcquired() options', options, WAIT_KEYS);
    const timeoutMs = validateTimeout('timeoutMs', options.timeoutMs, 'to wait without a limit');
    await settleClientWait(
      this.client,
      {
        timeoutMs,
        signal: options.signal,
        onTimeout: () =>
          new WaitTimeoutError('WorkPartitioner.waitUntilAcquired()', this.path, timeoutMs ?? 0, {
            blockedOn: `state ${this.#state}, owning ${this.#owned.size}, waiting for ${[...this.#acquiring.keys()].join(', ') || 'nothing'}`,
            cleanedUp: 'the partitioner keeps going',
          }),
      },
      (_deadline, signal) =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            const settle = (fn: () => void) => {
              this.#stateWaiters.delete(check);
              signal?.removeEventListener('abort', check);
              fn();
            };
            if (this.#state === 'acquired') settle(resolve);
            else if (this.#state === 'closed') settle(() => reject(new RecipeClosedError(`WorkPartitioner ${this.id}`)));
            else if (signal?.aborted) settle(() => reject(signal.reason));
          };
          this.#stateWaiters.add(check);
          signal?.addEventListener('abort', check, { once: true });
          check();
        }),
    );
  }

  /** Gives up every partition (`revoked` with `closed`), leaves the group, stops. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#stop.abort(new RecipeClosedError(`WorkPartitioner ${this.id}`));
    this.#offState?.();
    for (const controller of this.#acquiring.values()) controller.abort(new RecipeClosedError(`WorkPartitioner ${this.id}`));
    await this.#reconciling;
    await Promise.all([...this.#owned.keys()].map((partition) => this.#release(partition, 'closed')));
    await Promise.all([this.#member.close(), this.#assignmentCache.close()]);
    await this.#removeAssignmentIfLast();
    this.#setState('closed');
    this.#events.removeAllListeners();
  }

  /**
   * The last member out removes the assignment, so an idle partitioner leaves nothing behind
   * (members/ and locks/ are containers). Each member looks after its own node is gone, so the
   * last of several leaving at once sees an empty group. One joining meanwhile writes a new one.
   */
  async #removeAssignmentIfLast(): Promise<void> {
    if (!this.client.connected) return;
    try {
      const { children } = await this.client.getChildren(joinPath(this.path, 'members'));
      if (children.length > 0) return;
    } catch (error) {
      if (!(error instanceof NoNodeError)) return;
    }
    await this.client.delete(this.#assignmentPath).catch(() => undefined);
  }

  /** `await using partitioner = ...`: closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #setState(next: PartitionerState): void {
    if (this.#state === next || this.#state === 'closed') return;
    this.#state = next;
    this.#events.emit('state', next);
    for (const check of [...this.#stateWaiters]) check();
  }

  #updateState(): void {
    if (this.#stop.signal.aborted) return;
    const mine = this.#mine();
    const settled = mine.size === this.#owned.size && [...mine].every((p) => this.#owned.has(p));
    this.#setState(
      !this.client.connected ? 'failure' : this.#releasing.size > 0 ? 'releasing' : settled && this.#fits ? 'acquired' : 'allocating',
    );
  }

  /** The partitions the assignment (as read) gives this member. */
  #mine(): Set<string> {
    const mine = new Set<string>();
    for (const [partition, owner] of this.#assignment?.owners ?? []) if (owner === this.id) mine.add(partition);
    return mine;
  }

  /** Runs a reconcile now, or once more after the one running (changes coalesce). */
  #schedule(): void {
    if (this.#stop.signal.aborted) return;
    if (this.#reconciling) {
      this.#again = true;
      return;
    }
    this.#reconciling = (async () => {
      do {
        this.#again = false;
        await this.#reconcile().catch(async (error: unknown) => {
          if (this.#stop.signal.aborted || isClosed(this.client)) return;
          if (!isRetryable(error)) this.#events.emit('error', error);
          await backoff(200, this.#stop.signal);
          this.#again = true;
        });
      } while (this.#again && !this.#stop.signal.aborted);
    })().finally(() => {
      this.#reconciling = undefined;
    });
  }

  async #reconcile(): Promise<void> {
    if (!this.#loaded || this.#stop.signal.aborted) return;
    if (!this.client.connected) {
      this.#updateState();
      return;
    }
    const members = [...this.#member.members().keys()];
    const stored = this.#assignment?.owners;
    this.#fits = stored !== undefined && sameAssignment(rebalance(stored, members, this.partitions), stored);
    this.#updateState();
    if (members[0] === this.id && !this.#fits) await this.#coordinate(members);
    const mine = this.#mine();
    for (const partition of [...this.#owned.keys()]) if (!mine.has(partition)) await this.#release(partition, 'rebalanced');
    for (const [partition, controller] of this.#acquiring) if (!mine.has(partition)) controller.abort();
    for (const partition of mine) if (!this.#owned.has(partition) && !this.#acquiring.has(partition)) this.#acquire(partition);
    this.#updateState();
  }

  /** The coordinator writes the next assignment when the stored one does not fit the group. */
  async #coordinate(members: string[]): Promise<void> {
    const stored = this.#assignment;
    const next = rebalance(stored?.owners ?? new Map(), members, this.partitions);
    if (stored && sameAssignment(stored.owners, next)) return;
    try {
      if (stored) {
        const stat = await this.client.setData(this.#assignmentPath, encodeAssignment(next), { version: stored.version });
        if (!this.#assignment || this.#assignment.version < stat.version) this.#assignment = { owners: next, version: stat.version };
      } else {
        await this.client.create(this.#assignmentPath, encodeAssignment(next), { createParents: 'container' });
        this.#assignment ??= { owners: next, version: 0 };
      }
    } catch (error) {
      // Someone wrote first: the cache brings their assignment and another reconcile.
      if (!(error instanceof BadVersionError) && !(error instanceof NodeExistsError)) throw error;
    }
  }

  #acquire(partition: string): void {
    const controller = new AbortController();
    this.#acquiring.set(partition, controller);
    const mutex = new InterProcessMutex(this.client, joinPath(joinPath(this.path, 'locks'), partition));
    mutex
      .acquire({ signal: controller.signal })
      .then(
        (lease) => {
          if (this.#acquiring.get(partition) === controller) this.#acquiring.delete(partition);
          if (controller.signal.aborted || this.#stop.signal.aborted || !this.#mine().has(partition)) {
            return lease.release().catch(() => undefined);
          }
          this.#owned.set(partition, lease);
          lease.signal.addEventListener('abort', () => this.#onLost(partition, lease), { once: true });
          this.#events.emit('assigned', partition, lease);
          return undefined;
        },
        (error: unknown) => {
          if (this.#acquiring.get(partition) === controller) this.#acquiring.delete(partition);
          if (!controller.signal.aborted && !this.#stop.signal.aborted && !isRetryable(error)) this.#events.emit('error', error);
        },
      )
      .finally(() => this.#schedule());
  }

  #onLost(partition: string, lease: Lease): void {
    if (this.#owned.get(partition) !== lease) return;
    this.#owned.delete(partition);
    this.#events.emit('revoked', partition, 'lost');
    void lease.release().catch(() => undefined);
    this.#schedule();
  }

  async #release(partition: string, reason: RevokeReason): Promise<void> {
    const lease = this.#owned.get(partition);
    if (!lease) return;
    this.#owned.delete(partition);
    this.#releasing.add(partition);
    this.#updateState();
    // Tell first, so work stops before another member can take the partition.
    this.#events.emit('revoked', partition, reason);
    try {
      await lease.release();
    } catch {
      // Already lost or released: nothing is held either way.
    } finally {
      this.#releasing.delete(partition);
    }
  }
}
