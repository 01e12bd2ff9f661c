/**
 * The Redis engine under the shared ownership layer: take a place in the FIFO queue, learn it is
 * our turn (a wake-up on our hub's channel, or a bounded re-check), keep the lease alive (the
 * watchdog), leave, and give the fencing token from the acquire script.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { settleByDeadline } from '../src/deadline.js';
import { LockTimeoutError, OwnershipLostError } from '../src/errors.js';
import type { HoldLeaseParts, LockEngine, TakeRequest } from '../src/lock/owned-lock.js';
import { waitForTurn } from '../src/lock/turn-wait.js';
import { Watchdog } from '../src/lock/watchdog.js';
import { ACQUIRE, LEAVE, lockKeys, RELEASE, RENEW } from './lock-scripts.js';
import { assertReady, isTransient, type RedisClientLike, runScript } from './scripts.js';
import { WakeHub } from './wake-hub.js';

/** The engine's settings, validated by RedisLock. */
export interface RedisEngineSettings {
  readonly name: string;
  readonly prefix: string;
  readonly ttlMs: number;
  readonly driftMs: number;
  readonly recheckMs: number;
  readonly operationTimeoutMs: number;
  readonly subscriberIdleMs: number;
}

/** One grant. */
export interface RedisHold {
  readonly id: string;
  readonly token: bigint;
  readonly watchdog: Watchdog;
}

type AcquireReply = { granted: true; token: bigint } | { granted: false; pttl: number };

function parseAcquire(reply: unknown): AcquireReply {
  const [flag, value] = reply as [number | string, number | string];
  if (Number(flag) === 1) return { granted: true, token: BigInt(String(value)) };
  return { granted: false, pttl: Number(value) };
}

/** The lock engine of one RedisLock. */
export class RedisLockEngine implements LockEngine<RedisHold> {
  readonly recipe = 'RedisLock';
  readonly path: string;
  readonly #client: RedisClientLike;
  readonly #settings: RedisEngineSettings;
  readonly #keys: ReturnType<typeof lockKeys>;

  constructor(client: RedisClientLike, settings: RedisEngineSettings) {
    this.#client = client;
    this.#settings = settings;
    this.path = settings.name;
    this.#keys = lockKeys(settings.prefix, settings.name);
  }

  /** The Redis keys of this lock. */
  get keys(): ReturnType<typeof lockKeys> {
    return this.#keys;
  }

  assertUsable(): void {
    assertReady(this.#client, `Acquiring the Redis lock ${this.path}`);
  }

  #run(script: typeof ACQUIRE, args: readonly string[], deadline: number, withFence = false): Promise<unknown> {
    const { owner, queue, waiters, fence } = this.#keys;
    return runScript(this.#client, script, withFence ? [owner, queue, waiters, fence] : [owner, queue, waiters], args, deadline);
  }

  async #acquireOnce(id: string, wait: boolean): Promise<{ reply: AcquireReply; sentAt: number }> {
    const { ttlMs, recheckMs, operationTimeoutMs } = this.#settings;
    // A queue entry outlives a few missed re-checks; then the waiter counts as dead and is skipped.
    const waiterTtlMs = 3 * recheckMs + operationTimeoutMs;
    const sentAt = performance.now();
    const raw = await this.#run(ACQUIRE, [id, String(ttlMs), wait ? '1' : '0', String(waiterTtlMs)], Date.now() + operationTimeoutMs, true);
    return { reply: parseAcquire(raw), sentAt };
  }

  #grant(id: string, token: bigint, sentAt: number): RedisHold {
    const { ttlMs, driftMs, operationTimeoutMs } = this.#settings;
    const watchdog = new Watchdog({
      ttlMs,
      driftMs,
      grantSentAt: sentAt,
      renew: async (deadline) =>
        Number(
          await runScript(
            this.#client,
            RENEW,
            [this.#keys.owner],
            [id, String(ttlMs)],
            Math.min(deadline, Date.now() + operationTimeoutMs),
          ),
        ) === 1,
    });
    return { id, token, watchdog };
  }

  /** Removes a waiter's entry (and a grant that reached it too late), with a fresh short deadline. */
  async #leaveQueue(id: string): Promise<void> {
    await this.#run(LEAVE, [id], Date.now() + this.#settings.operationTimeoutMs);
  }

  take(request: TakeRequest): Promise<RedisHold> {
    const { timeoutMs, signal, started } = request;
    const id = `${WakeHub.of(this.#client, this.#settings.subscriberIdleMs).id}.${randomUUID()}`;
    // A try is one script call, bounded by the call's own deadline: it rejects with what kept
    // Redis from answering (RedisBusyError, RedisUnavailableError), never a `null` that would
    // claim the lock is taken.
    if (timeoutMs === 0) return this.#try(id);
    return settleByDeadline((inner) => this.#wait(id, inner), {
      deadline: timeoutMs === undefined ? undefined : started + timeoutMs,
      signal,
      onTimeout: () => new LockTimeoutError(this.path, timeoutMs ?? 0),
      connected: () => this.#client.isReady,
      graceMs: Math.min(1000, timeoutMs || 1000),
      discard: (late) => this.leave(late).catch(() => undefined),
    });
  }

  async #try(id: string): Promise<RedisHold> {
    try {
      const { reply, sentAt } = await this.#acquireOnce(id, false);
      if (reply.granted) return this.#grant(id, reply.token, sentAt);
    } catch (error) {
      // The reply may have been lost after a grant: give it back in the background.
      void this.#leaveQueue(id).catch(() => undefined);
      throw error;
    }
    throw new LockTimeoutError(this.path, 0);
  }

  #wait(id: string, signal: AbortSignal | undefined): Promise<RedisHold> {
    return waitForTurn<RedisHold>({
      waiterId: id,
      source: WakeHub.of(this.#client, this.#settings.subscriberIdleMs),
      look: async () => {
        const { reply, sentAt } = await this.#acquireOnce(id, true);
        return reply.granted ? { granted: this.#grant(id, reply.token, sentAt) } : { ownerTtlMs: reply.pttl };
      },
      leave: () => this.#leaveQueue(id),
      isTransient,
      recheckMs: this.#settings.recheckMs,
      subscribeTimeoutMs: this.#settings.operationTimeoutMs,
      signal,
    });
  }

  async leave(hold: RedisHold): Promise<void> {
    hold.watchdog.stop();
    const released = Number(await this.#run(RELEASE, [hold.id], Date.now() + this.#settings.operationTimeoutMs));
    if (released !== 1) {
      throw new OwnershipLostError(
        this.path,
        'NOT_OWNER',
        'it had expired or passed to another owner before this release: work done under it may have overlapped another holder',
      );
    }
  }

  leaseParts(hold: RedisHold): HoldLeaseParts {
    return {
      nodePath: this.#keys.owner,
      fencingToken: hold.token,
      watchLoss: (lost) => hold.watchdog.onLoss(lost),
      pollLoss: () => void hold.watchdog.lostState,
    };
  }

  lostNow(hold: RedisHold): string | undefined {
    return hold.watchdog.lostState;
  }
}
