/**
 * The Redis store under the shared TTL engine: one Lua script per step (ask, renew, leave,
 * release) on the lock's keys, wake-ups through the client's subscriber hub.
 */
import { randomUUID } from 'node:crypto';
import { type LockInspection, memoOfWaiterId, type TtlAnswer, type TtlStore, type TtlWakeSource } from '../src/lock/ttl-engine.js';
import { ACQUIRE, INSPECT, LEAVE, type RedisLockKeys, lockKeys, RELEASE, RENEW, SHARDED_LEAVE, SHARDED_RELEASE } from './lock-scripts.js';
import { assertReady, isTransient, type LuaScript, type RedisClientLike, runScript } from './scripts.js';
import { WakeHub } from './wake-hub.js';
import { ShardedWakeHub } from './sharded-wake-hub.js';
import { type ReplicaWait, waitForReplicas } from './replica-wait.js';

/** The store's settings, validated by RedisLock. */
export interface RedisStoreSettings {
  readonly name: string;
  readonly prefix: string;
  readonly ttlMs: number;
  readonly recheckMs: number;
  readonly operationTimeoutMs: number;
  readonly subscriberIdleMs: number;
  /** Who waits and holds, in every waiter id (`<hub>.<uuid>.<memo>`). */
  readonly memo: string;
  /** `replicas`: grants and renewals count once this many replicas have them. */
  readonly replicas?: ReplicaWait;
}

/** One Redis lock's keys and scripts. */
export class RedisLockStore implements TtlStore {
  readonly name: string;
  readonly keys: RedisLockKeys;
  readonly #client: RedisClientLike;
  readonly #settings: RedisStoreSettings;

  constructor(client: RedisClientLike, settings: RedisStoreSettings) {
    this.#client = client;
    this.#settings = settings;
    this.name = settings.name;
    this.keys = lockKeys(settings.prefix, settings.name);
  }

  get nodePath(): string {
    return this.keys.owner;
  }

  #run(
    script: LuaScript,
    args: readonly string[],
    deadline = Date.now() + this.#settings.operationTimeoutMs,
    withFence = false,
  ): Promise<unknown> {
    const { owner, queue, waiters, fence } = this.keys;
    return runScript(this.#client, script, withFence ? [owner, queue, waiters, fence] : [owner, queue, waiters], args, deadline);
  }

  wakeSource(): TtlWakeSource {
    // A cluster: the lock's own shard channel (sharded pub/sub); one server: the client's channel.
    if (this.#client.cluster) return ShardedWakeHub.of(this.#client, this.name, this.#settings.subscriberIdleMs);
    return WakeHub.of(this.#client, this.#settings.subscriberIdleMs);
  }

  /**
   * `<hub>.<uuid>.<memo>`: a release publishes it on the hub's channel, heard by that one
   * connection; the memo tells people who holds or waits.
   */
  waiterId(source: TtlWakeSource | undefined): string {
    return `${source?.address ?? 'try'}.${randomUUID()}.${this.#settings.memo}`;
  }

  async ask(id: string, wait: boolean): Promise<TtlAnswer> {
    const { ttlMs, recheckMs, operationTimeoutMs } = this.#settings;
    // A queue entry outlives a few missed re-checks; then the waiter counts as dead and is skipped.
    const waiterTtlMs = 3 * recheckMs + operationTimeoutMs;
    const deadline = Date.now() + operationTimeoutMs;
    const reply = (await this.#run(ACQUIRE, [id, String(ttlMs), wait ? '1' : '0', String(waiterTtlMs)], deadline, true)) as [
      number | string,
      number | string,
      string?,
    ];
    if (Number(reply[0]) === 1) {
      // Not ours to tell until replicated. A waiter keeps the grant: its next ask finds the lock
      // already ours (same token) and waits for the replicas again; a try gives it back first.
      try {
        await this.#replicated(deadline, 'the grant');
      } catch (error) {
        // within the ask's own deadline: a try answers within operationTimeoutMs whatever Redis does
        if (!wait) await this.#run(this.#client.cluster ? SHARDED_LEAVE : LEAVE, [id], deadline).catch(() => undefined);
        throw error;
      }
      return { granted: true, token: BigInt(String(reply[1])) };
    }
    const owner = reply[2];
    return { granted: false, ownerTtlMs: Number(reply[1]), ...(owner ? { ownerMemo: memoOfWaiterId(String(owner)) } : {}) };
  }

  async inspect(): Promise<LockInspection> {
    const reply = ((await this.#run(INSPECT, [], undefined, true)) as unknown[]).map(String);
    const [owner = '', pttl = '0', fence = '0', now = '0', ...line] = reply;
    const waiters: { memo: string; id: string; aliveMs: number }[] = [];
    for (let i = 0; i + 1 < line.length; i += 2) {
      const id = line[i] as string;
      waiters.push({ id, memo: memoOfWaiterId(id), aliveMs: Number(line[i + 1]) - Number(now) });
    }
    const holder = owner ? { id: owner, memo: memoOfWaiterId(owner), ttlMs: Math.max(0, Number(pttl)), token: BigInt(fence) } : undefined;
    return { name: this.name, ...(holder ? { holder } : {}), waiters };
  }

  async renew(id: string, deadline: number): Promise<boolean> {
    const bound = Math.min(deadline, Date.now() + this.#settings.operationTimeoutMs);
    if (Number(await runScript(this.#client, RENEW, [this.keys.owner], [id, String(this.#settings.ttlMs)], bound)) !== 1) return false;
    // An unreplicated renewal is no renewal: a promoted replica would let the lease run out sooner.
    await this.#replicated(bound, 'the renewal');
    return true;
  }

  async #replicated(deadline: number, what: string): Promise<void> {
    const wait = this.#settings.replicas;
    if (wait) await waitForReplicas(this.#client, this.keys.owner, wait, deadline, `RedisLock ${this.name}: ${what}`);
  }

  async leave(id: string): Promise<void> {
    await this.#run(this.#client.cluster ? SHARDED_LEAVE : LEAVE, [id]);
  }

  async release(id: string): Promise<boolean> {
    return Number(await this.#run(this.#client.cluster ? SHARDED_RELEASE : RELEASE, [id])) === 1;
  }

  isTransient(error: unknown): boolean {
    return isTransient(error);
  }

  connected(): boolean {
    return this.#client.isReady;
  }

  assertUsable(): void {
    assertReady(this.#client, `Acquiring the Redis lock ${this.name}`);
  }
}
