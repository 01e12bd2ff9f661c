/**
 * The one ownership layer of every lock, whatever the backend (docs/design.md §4, §8): re-entrancy keyed
 * by the async call tree (AsyncLocalStorage — the Node analogue of Curator's per-thread
 * ownership), hold counts, leases, `using`, `release`, typed errors and diagnostics. A backend
 * plugs in a small {@link LockEngine}: take a place and wait for the turn, leave, tell loss, give
 * the fencing token.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Logger, publish } from '../core/diagnostics.js';
import { describeBlock, type WaitTrace } from '../core/wait-trace.js';
import { AlreadyReleasedError, InvalidArgumentError, NotOwnerError, OwnershipLostError } from '../core/errors.js';
import { type AcquireOptions, nullOnTimeout, validateAcquireOptions } from './acquire-options.js';
import { Lease, type LeaseInit } from './lease.js';

/** What a backend says about one hold for its {@link Lease}. */
export type HoldLeaseParts = Pick<LeaseInit, 'nodePath' | 'fencingToken' | 'watchLoss' | 'watchWhenObserved' | 'pollLoss' | 'warn'>;

/** One wait for the lock, as the ownership layer hands it to the engine. */
export interface TakeRequest {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Epoch ms when acquire() was called. */
  readonly started: number;
  /** Where the engine notes what the wait is behind (for its timeout error and the slow-wait report). */
  readonly trace: WaitTrace;
}

/** A backend's lock, without ownership rules: what makes `InterProcessMutex`, `RedisLock`, ... differ. */
export interface LockEngine<H> {
  /** Recipe name for diagnostics, e.g. `InterProcessMutex`. */
  readonly recipe: string;
  /** The lock's path or name. */
  readonly path: string;
  /** Throws a typed error when nothing can be sent (client closed, not connected), before anything is. */
  assertUsable(): void;
  /**
   * Takes a place in line and waits for the turn. Settles by the request's deadline or abort
   * (LockTimeoutError / the signal's reason), leaving nothing behind on the server.
   */
  take(request: TakeRequest): Promise<H>;
  /** Gives the lock up: the last hold of the owning flow was released. */
  leave(hold: H): Promise<void>;
  /** The lease pieces of a hold. */
  leaseParts(hold: H): HoldLeaseParts;
  /** A loss the engine can tell at once, before any event reports it (ZooKeeper: a new session). */
  lostNow?(hold: H): string | undefined;
  /** Called once per grant, with its first lease (e.g. to watch for revocation requests). */
  granted?(hold: H, lease: Lease): void;
  /** Who holds the lock now, in words (one look at the server), for the report of a long wait. */
  describeHolder?(): Promise<string | undefined>;
}

/** Hooks of one lock kind on top of its engine. */
export interface OwnedLockHooks {
  /** Throws when this acquire can never succeed (e.g. a reader asking for the write lock). */
  readonly beforeTake?: () => void;
  /**
   * A wait still waiting after `afterMs` (0: never) is reported once: on the
   * `zk-recipes:acquire:slow` channel and as an info line on `logger()`, naming the holder.
   */
  readonly slowWait?: { readonly afterMs: number; readonly logger: () => Logger };
}

interface Hold<H> {
  readonly engine: H;
  count: number;
  readonly leases: Lease[];
  /** Set once ownership was lost: nothing may be granted on the strength of this hold again. */
  lost?: OwnershipLostError;
}

/** A re-entrant lock on any backend: the contract of docs/design.md §4–§5 over a {@link LockEngine}. */
export class OwnedLock<H> {
  readonly #engine: LockEngine<H>;
  readonly #hooks: OwnedLockHooks;
  readonly #scope = new AsyncLocalStorage<Hold<H>>();
  readonly #holds = new Set<Hold<H>>();

  constructor(engine: LockEngine<H>, hooks: OwnedLockHooks = {}) {
    this.#engine = engine;
    this.#hooks = hooks;
  }

  /** The lock's path or name. */
  get path(): string {
    return this.#engine.path;
  }

  /** True when the current async call tree holds this lock (even if ownership was lost since). */
  isOwnedByCurrentScope(): boolean {
    const hold = this.#scope.getStore();
    return hold !== undefined && hold.count > 0;
  }

  /** The engine's hold of the current scope, if it holds the lock. */
  scopeHold(): H | undefined {
    const hold = this.#scope.getStore();
    return hold && hold.count > 0 ? hold.engine : undefined;
  }

  /**
   * Throws {@link OwnershipLostError} when the current scope's hold is no longer in force (its
   * lease signal aborted, or the engine tells a loss). Re-entry and downgrade ride only on a hold
   * that is still valid.
   */
  assertScopeHoldValid(): void {
    const hold = this.#scope.getStore();
    if (!hold || hold.count <= 0) return;
    if (!hold.lost) {
      const state = this.#engine.lostNow?.(hold.engine);
      if (state) hold.lost = new OwnershipLostError(this.path, state);
    }
    if (hold.lost) throw new OwnershipLostError(this.path, hold.lost.state);
  }

  /** True when any flow of this process holds this lock object. */
  isAcquiredInThisProcess(): boolean {
    return this.#holds.size > 0;
  }

  /** Waits for the lock → Lease (LockTimeoutError on timeout, the signal's reason on abort; nothing is left behind). Re-enters inside an owner scope. */
  async acquire(options?: AcquireOptions): Promise<Lease> {
    const { timeoutMs, signal } = validateAcquireOptions(options);
    this.#engine.assertUsable();
    signal?.throwIfAborted();
    const current = this.#scope.getStore();
    if (current && current.count > 0) {
      this.assertScopeHoldValid();
      current.count++; // re-entry: no round trip
      return this.#newLease(current);
    }
    this.#hooks.beforeTake?.();
    const started = Date.now();
    const { recipe, path } = this.#engine;
    publish('zk-recipes:acquire:start', { recipe, path });
    const trace: WaitTrace = {};
    const stopWatching = this.#watchSlowWait(trace, started);
    try {
      const taken = await this.#engine.take({ timeoutMs, signal, started, trace });
      const hold: Hold<H> = { engine: taken, count: 1, leases: [] };
      this.#holds.add(hold);
      const lease = this.#newLease(hold);
      this.#engine.granted?.(taken, lease);
      publish('zk-recipes:acquire:end', { recipe, path, ok: true, waitMs: Date.now() - started, nodePath: lease.nodePath });
      return lease;
    } catch (error) {
      publish('zk-recipes:acquire:end', { recipe, path, ok: false, waitMs: Date.now() - started, error });
      throw error;
    } finally {
      stopWatching();
    }
  }

  /** Reports this wait once if it is still waiting after `slowWait.afterMs`; returns how to stop. */
  #watchSlowWait(trace: WaitTrace, started: number): () => void {
    const slow = this.#hooks.slowWait;
    if (!slow || slow.afterMs <= 0) return () => undefined;
    let over = false;
    const timer = setTimeout(async () => {
      const { recipe, path } = this.#engine;
      const holder = (await this.#engine.describeHolder?.().catch(() => undefined)) ?? describeBlock(trace);
      if (over) return; // granted or given up meanwhile
      const waitedMs = Date.now() - started;
      publish('zk-recipes:acquire:slow', { recipe, path, waitedMs, ...(holder === undefined ? {} : { holder }) });
      try {
        slow.logger().info(`zk-recipes: ${recipe} ${path}: still waiting after ${waitedMs} ms${holder ? ` (${holder})` : ''}`, {
          recipe,
          path,
          waitedMs,
          holder,
        });
      } catch {
        // a logger that throws must not turn a report into an uncaught exception
      }
    }, slow.afterMs);
    timer.unref(); // a wait keeps the process alive by itself; this report never does
    return () => {
      over = true;
      clearTimeout(timer);
    };
  }

  /** The lock if it is free right now, else null (nothing is left behind). */
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

  #newLease(hold: Hold<H>): Lease {
    const parts = this.#engine.leaseParts(hold.engine);
    // One literal of one shape (no spread): V8 builds it from a boilerplate, on every acquire.
    const lease: Lease = new Lease({
      nodePath: parts.nodePath,
      fencingToken: parts.fencingToken,
      watchLoss: parts.watchLoss,
      watchWhenObserved: parts.watchWhenObserved,
      pollLoss: parts.pollLoss,
      warn: parts.warn,
      lockPath: this.path,
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
        await this.#engine.leave(hold.engine);
      },
    });
    hold.leases.push(lease);
    return lease;
  }
}
