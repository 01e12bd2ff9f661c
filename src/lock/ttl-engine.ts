/**
 * The one engine of every TTL backend (Redis, PostgreSQL): take a place in the FIFO line, learn
 * that our turn came (a wake-up to us alone, or a bounded re-check), hold the lease with a
 * watchdog that renews it, leave, and hand out the fencing token the grant came with. A backend
 * fills in a {@link TtlStore} — how to ask once, renew, leave, release — and nothing else.
 */
import { performance } from 'node:perf_hooks';
import { settleByDeadline } from '../core/deadline.js';
import { LockTimeoutError, OwnershipLostError } from '../core/errors.js';
import { cleanupGraceMs } from '../core/timing.js';
import { describeBlock, type WaitTrace } from '../core/wait-trace.js';
import type { Logger } from '../core/diagnostics.js';
import type { HoldLeaseParts, LockEngine, TakeRequest } from './owned-lock.js';
import { type WakeSource, waitForTurn } from './turn-wait.js';
import { Watchdog } from './watchdog.js';

/**
 * The answer to one ask: granted with its token, or how long the current owner may hold on (0:
 * nobody) and, where the backend says it in the same answer, the owner's memo.
 */
export type TtlAnswer =
  | { readonly granted: true; readonly token: bigint }
  | { readonly granted: false; readonly ownerTtlMs: number; readonly ownerMemo?: string };

/** What a TTL lock looks like on its server now: `RedisLock.inspect()`, `PostgresLock.inspect()`, `zk-recipes inspect --redis/--postgres`. */
export interface LockInspection {
  /** The lock's name. */
  readonly name: string;
  /** The holder, or undefined when the lock is free. */
  readonly holder?: {
    /** The holder's `memo` (who and why; by default `<host>:<pid>`). */
    readonly memo: string;
    /** The holder's waiter id (the same process may hold other locks under other ids). */
    readonly id: string;
    /** How long its lease runs unless renewed. */
    readonly ttlMs: number;
    /** The fencing token of its grant. */
    readonly token: bigint;
  };
  /** Waiters in line order (entries of waiters that stopped looking are skipped at the next grant). */
  readonly waiters: readonly {
    readonly memo: string;
    readonly id: string;
    /** How long the entry counts as alive without another look (negative: dead, to be skipped). */
    readonly aliveMs: number;
  }[];
}

/** A waiter id `<prefix>.<uuid>.<memo>` split into its id and memo (the memo is what a person reads). */
export function memoOfWaiterId(id: string): string {
  const parts = id.split('.');
  return parts.length >= 3 ? parts.slice(2).join('.') : '';
}

/** A wake source that also names where wake-ups for it go (PostgreSQL: its channel). */
export interface TtlWakeSource extends WakeSource {
  /** Prefix of waiter ids (Redis: the hub's id) or the channel a release notifies (PostgreSQL). */
  readonly address: string;
}

/** What one TTL backend does on its server; each call has its own deadline. */
export interface TtlStore {
  /** The lock's name. */
  readonly name: string;
  /** Where a lease says the lock lives (a key, `table:name`). */
  readonly nodePath: string;
  /** The wake source waiters of this lock listen on. */
  wakeSource(): TtlWakeSource;
  /** The id of a new waiter that listens on `source` (none: a try, which never waits). */
  waiterId(source: TtlWakeSource | undefined): string;
  /** Asks once: grants when it is our turn; with `wait`, joins the line (or refreshes our entry) when not. */
  ask(id: string, wait: boolean, source: TtlWakeSource | undefined): Promise<TtlAnswer>;
  /** Extends our lease; false when the lock is gone or another's. `deadline` bounds the call (epoch ms). */
  renew(id: string, deadline: number): Promise<boolean>;
  /** Removes our place in line, and a grant that reached us too late. */
  leave(id: string): Promise<void>;
  /** Releases our lock and wakes the next waiter; false when it was no longer ours. */
  release(id: string): Promise<boolean>;
  /** True for errors worth trying again within the deadline (no answer, the server busy or loading). */
  isTransient(error: unknown): boolean;
  /** True while the server answers (then a wait that gives up cleans up before answering). */
  connected(): boolean;
  /** Throws a typed error when nothing can be sent now. */
  assertUsable(): void;
  /** The lock as it is on the server now (one read-only look). */
  inspect(): Promise<LockInspection>;
}

/** The settings every TTL lock validates. */
export interface TtlSettings {
  /** Where a lost lease is reported (warn). @default silent */
  readonly logger?: Logger;
  readonly ttlMs: number;
  readonly driftMs: number;
  readonly recheckMs: number;
  readonly operationTimeoutMs: number;
}

/** A refused ask. */
type Refusal = Extract<TtlAnswer, { granted: false }>;

/** What a refused ask says of the owner, in words. */
function heldBy(refusal: Refusal): string {
  if (refusal.ownerTtlMs <= 0) return 'free, others are ahead in line';
  const who = refusal.ownerMemo ? `held by ${refusal.ownerMemo}` : 'held by another owner';
  return `${who}, lease ${refusal.ownerTtlMs} ms left`;
}

/** One grant. */
export interface TtlHold {
  readonly id: string;
  readonly token: bigint;
  readonly watchdog: Watchdog;
}

/** The engine of a TTL lock over its backend's store. */
export class TtlLockEngine implements LockEngine<TtlHold> {
  readonly recipe: string;
  readonly path: string;
  readonly #store: TtlStore;
  readonly #settings: TtlSettings;

  constructor(recipe: string, store: TtlStore, settings: TtlSettings) {
    this.recipe = recipe;
    this.path = store.name;
    this.#store = store;
    this.#settings = settings;
  }

  assertUsable(): void {
    this.#store.assertUsable();
  }

  async #ask(id: string, wait: boolean, source: TtlWakeSource | undefined): Promise<TtlHold | Refusal> {
    const sentAt = performance.now();
    const answer = await this.#store.ask(id, wait, source);
    return answer.granted ? this.#grant(id, answer.token, sentAt) : answer;
  }

  #grant(id: string, token: bigint, sentAt: number): TtlHold {
    const { ttlMs, driftMs } = this.#settings;
    // A renewal answered after our lease may have run out is worth nothing: bounded by that.
    const watchdog = new Watchdog({ ttlMs, driftMs, grantSentAt: sentAt, renew: (deadline) => this.#store.renew(id, deadline) });
    return { id, token, watchdog };
  }

  take({ timeoutMs, signal, started, trace }: TakeRequest): Promise<TtlHold> {
    // A try is one ask, bounded by the operation deadline: it rejects with what kept the server
    // from answering, never a `null` that would claim the lock is taken.
    if (timeoutMs === 0) return this.#try();
    const source = this.#store.wakeSource();
    const id = this.#store.waiterId(source);
    return settleByDeadline((inner) => this.#wait(id, source, inner, trace), {
      deadline: timeoutMs === undefined ? undefined : started + timeoutMs,
      signal,
      onTimeout: () => this.#timeout(timeoutMs ?? 0, trace),
      connected: () => this.#store.connected(),
      graceMs: cleanupGraceMs(timeoutMs),
      discard: (late) => this.leave(late).catch(() => undefined),
    });
  }

  async #try(): Promise<TtlHold> {
    const id = this.#store.waiterId(undefined);
    let refusal: Refusal;
    try {
      const held = await this.#ask(id, false, undefined);
      if (!('granted' in held)) return held;
      refusal = held;
    } catch (error) {
      void this.#store.leave(id).catch(() => undefined); // a grant whose answer was lost is given back
      throw error;
    }
    return Promise.reject(this.#timeout(0, { blockedOn: heldBy(refusal) }));
  }

  #timeout(timeoutMs: number, trace: WaitTrace): LockTimeoutError {
    return new LockTimeoutError(this.path, timeoutMs, {
      blockedOn: describeBlock(trace),
      cause: trace.lastError,
      leftBehind: 'our place in line was removed',
    });
  }

  async describeHolder(): Promise<string | undefined> {
    const { holder, waiters } = await this.#store.inspect();
    if (!holder) return waiters.length > 0 ? `free; ${waiters.length} in line` : undefined;
    return `held by ${holder.memo || holder.id}, lease ${holder.ttlMs} ms left; ${waiters.length} in line`;
  }

  inspect(): Promise<LockInspection> {
    return this.#store.inspect();
  }

  #wait(id: string, source: TtlWakeSource, signal: AbortSignal | undefined, trace: WaitTrace): Promise<TtlHold> {
    return waitForTurn<TtlHold>({
      waiterId: id,
      source,
      trace,
      look: async () => {
        const held = await this.#ask(id, true, source);
        if ('granted' in held) {
          trace.blockedOn = heldBy(held);
          return { ownerTtlMs: held.ownerTtlMs };
        }
        return { granted: held };
      },
      leave: () => this.#store.leave(id),
      isTransient: (error) => this.#store.isTransient(error),
      recheckMs: this.#settings.recheckMs,
      subscribeTimeoutMs: this.#settings.operationTimeoutMs,
      signal,
    });
  }

  async leave(hold: TtlHold): Promise<void> {
    hold.watchdog.stop();
    if (!(await this.#store.release(hold.id))) {
      throw new OwnershipLostError(
        this.path,
        'NOT_OWNER',
        'its lease had run out or passed to another owner before this release: work done under it may have overlapped another holder',
      );
    }
  }

  leaseParts(hold: TtlHold): HoldLeaseParts {
    return {
      nodePath: this.#store.nodePath,
      fencingToken: hold.token,
      watchLoss: (lost) => hold.watchdog.onLoss(lost),
      pollLoss: () => void hold.watchdog.lostState,
      warn: (message, details) => this.#settings.logger?.warn(message, details),
    };
  }

  lostNow(hold: TtlHold): string | undefined {
    return hold.watchdog.lostState;
  }
}
