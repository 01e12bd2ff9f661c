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
import { InvalidArgumentError, RecipeClosedError, WaitTimeoutError } from '../../src/core/errors.js';
import { checkOptionKeys } from '../../src/core/options.js';
import { settleClientWait } from '../../src/core/deadline.js';
import { TypedEvents } from '../../src/core/typed-events.js';
import { validateTimeout } from '../../src/zookeeper/client-options.js';
import { isRetryable } from '../../src/zookeeper/retry.js';
import { joinPath, validatePath } from '../../src/zookeeper/paths.js';
import type { OperationOptions } from '../../src/zookeeper/types.js';
import type { Lease } from '../../src/lock/lease.js';
import { backoff, isClosed } from '../leader-latch.js';
import { checkMemberId, GroupMember } from '../nodes/group-member.js';
import { rebalance, sameAssignment } from './assignment.js';
import { AssignmentNode } from './assignment-node.js';
import { PartitionLocks } from './partition-locks.js';
import {
  checkPartitions,
  OPTION_KEYS,
  type PartitionerState,
  WAIT_KEYS,
  type WorkPartitionerEvents,
  type WorkPartitionerOptions,
} from './partitioner-options.js';

export type { PartitionerState, RevokeReason, WorkPartitionerEvents, WorkPartitionerOptions } from './partitioner-options.js';

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
  readonly #assignment: AssignmentNode;
  readonly #events = new TypedEvents<WorkPartitionerEvents>();
  readonly #locks: PartitionLocks;
  readonly #stop = new AbortController();
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
    this.#member.on('joined', () => this.#schedule());
    this.#member.on('left', () => this.#schedule());
    this.#member.on('error', (error) => this.#events.emit('error', error));
    this.#assignment = new AssignmentNode(
      client,
      this.path,
      () => this.#schedule(),
      (error) => this.#events.emit('error', error),
    );
    this.#locks = new PartitionLocks(client, this.path, {
      wanted: (partition) => !this.#stop.signal.aborted && this.#mine().has(partition),
      assigned: (partition, lease) => this.#events.emit('assigned', partition, lease),
      revoked: (partition, reason) => this.#events.emit('revoked', partition, reason),
      error: (error) => this.#events.emit('error', error),
      changed: () => {
        this.#updateState();
        this.#schedule();
      },
    });
  }

  /** Where this member stands. */
  get state(): PartitionerState {
    return this.#state;
  }

  /** The partitions this member owns now, with their leases. */
  owned(): ReadonlyMap<string, Lease> {
    return new Map(this.#locks.owned);
  }

  /** The assignment as this member last read it: the member that should own each partition. */
  assignment(): ReadonlyMap<string, string> {
    return new Map(this.#assignment.owners ?? []);
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
      await Promise.all([this.#member.start(options), this.#assignment.start(options)]);
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
            blockedOn: `state ${this.#state}, owning ${this.#locks.owned.size}, waiting for ${this.#locks.waiting.join(', ') || 'nothing'}`,
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
    await this.#reconciling;
    await this.#locks.close(new RecipeClosedError(`WorkPartitioner ${this.id}`));
    await Promise.all([this.#member.close(), this.#assignment.close()]);
    await this.#assignment.removeIfGroupEmpty(joinPath(this.path, 'members'));
    this.#setState('closed');
    this.#events.removeAllListeners();
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
    const owned = this.#locks.owned;
    const settled = mine.size === owned.size && [...mine].every((p) => owned.has(p));
    this.#setState(
      !this.client.connected ? 'failure' : this.#locks.releasing ? 'releasing' : settled && this.#fits ? 'acquired' : 'allocating',
    );
  }

  /** The partitions the assignment (as read) gives this member. */
  #mine(): Set<string> {
    const mine = new Set<string>();
    for (const [partition, owner] of this.#assignment.owners ?? []) if (owner === this.id) mine.add(partition);
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
    const stored = this.#assignment.owners;
    this.#fits = stored !== undefined && sameAssignment(rebalance(stored, members, this.partitions), stored);
    this.#updateState();
    if (members[0] === this.id && !this.#fits) await this.#coordinate(members);
    await this.#locks.follow(this.#mine());
    this.#updateState();
  }

  /** The coordinator writes the next assignment when the stored one does not fit the group. */
  async #coordinate(members: string[]): Promise<void> {
    await this.#assignment.write(rebalance(this.#assignment.owners ?? new Map(), members, this.partitions));
  }
}
