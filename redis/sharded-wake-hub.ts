/**
 * Lock wake-ups on a Redis Cluster: one hub per (cluster client, lock), listening on the lock's
 * shard channel `zk-recipes:wake:{<lock>}:<hub>` through the cluster client's sharded pub/sub
 * (SSUBSCRIBE on the node serving the lock's slot). A release SPUBLISHes the next waiter's id
 * there from inside its script, so the message stays on the lock's shard. A message lost in a
 * failover costs a bounded re-check (every waiter re-checks on its own timer), never a hang.
 */
import { randomBytes } from 'node:crypto';
import { WaiterHub } from '../src/lock/wake-hub.js';
import { raceDeadline } from '../src/core/timing.js';
import { shardedWakeChannel } from './lock-scripts.js';
import { assertReady, type RedisClientLike } from './scripts.js';
import { subscribeFailed, subscribeTimeout } from './wake-hub.js';

const hubs = new WeakMap<RedisClientLike, Map<string, ShardedWakeHub>>();

export class ShardedWakeHub extends WaiterHub {
  /** Goes into waiter ids: `<id>.<uuid>.<memo>` (base64url has no dot). */
  readonly id = randomBytes(9).toString('base64url');
  readonly channel: string;
  readonly #client: RedisClientLike;
  readonly #lock: string;
  #subscribing: Promise<void> | undefined;
  #subscribed = false;
  /** Counts closes: a subscription answered after a close belongs to no one and is ended at once. */
  #closes = 0;

  private constructor(client: RedisClientLike, lock: string, idleMs: number) {
    super(idleMs);
    this.#client = client;
    this.#lock = lock;
    this.channel = shardedWakeChannel(lock, this.id);
  }

  /** The hub of `client` for lock `name` (made on first use). */
  static of(client: RedisClientLike, name: string, idleMs: number): ShardedWakeHub {
    let byLock = hubs.get(client);
    if (!byLock) {
      byLock = new Map();
      hubs.set(client, byLock);
    }
    let hub = byLock.get(name);
    if (!hub) {
      hub = new ShardedWakeHub(client, name, idleMs);
      byLock.set(name, hub);
    }
    return hub;
  }

  get address(): string {
    return this.id;
  }

  get listening(): boolean {
    return this.#subscribed && this.#client.isReady;
  }

  protected get open(): boolean {
    return this.#subscribed || this.#subscribing !== undefined;
  }

  protected override get ownerClosed(): boolean {
    return !this.#client.isOpen;
  }

  subscribe(deadline: number): Promise<void> {
    if (this.#subscribed) return Promise.resolve();
    this.#subscribing ??= this.#open().catch((error: unknown) => {
      this.#subscribing = undefined;
      throw error;
    });
    return raceDeadline(this.#subscribing, deadline, subscribeTimeout);
  }

  async #open(): Promise<void> {
    assertReady(this.#client, 'Waiting for a Redis lock');
    const closes = this.#closes;
    try {
      await this.#client.shardedSubscribe?.(this.channel, (message) => this.wake(message));
    } catch (error) {
      throw subscribeFailed(error);
    }
    if (closes !== this.#closes) {
      // Closed while SSUBSCRIBE was in flight: nobody will close this subscription later.
      if (this.#client.isOpen) void this.#client.shardedUnsubscribe?.(this.channel).catch(() => undefined);
      return;
    }
    this.#subscribed = true;
    this.listeningStarted();
  }

  protected closeConnection(): void {
    this.#closes++;
    this.stopIdleTimer();
    const wasSubscribed = this.#subscribed;
    this.#subscribed = false;
    this.#subscribing = undefined;
    const byLock = hubs.get(this.#client);
    if (byLock?.get(this.#lock) === this) byLock.delete(this.#lock);
    if (wasSubscribed && this.#client.isOpen) void this.#client.shardedUnsubscribe?.(this.channel).catch(() => undefined);
  }
}
