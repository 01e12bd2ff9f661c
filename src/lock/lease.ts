/**
 * Lease: the handle a caller holds while it owns a lock, on any backend (docs/design.md §5, §8). Release
 * it exactly once; watch `signal` to stop work when ownership can no longer be guaranteed; pass
 * the fencing token to the guarded resource so it can reject a stale holder.
 *
 * What is backend-specific — how loss is noticed, where the token comes from, how the lock is
 * given up — arrives in {@link LeaseInit}; the rules (release once, abort before anything else
 * can be granted, owner scope) live here once.
 */
import { publish } from '../core/diagnostics.js';
import { AlreadyReleasedError, OwnershipLostError } from '../core/errors.js';

/** Reports a loss of ownership: a short state (`SUSPENDED`, `EXPIRED`, ...) and optional words for the message. */
export type LossReporter = (state: string, detail?: string) => void;

/** What a lock backend gives a {@link Lease} at construction. */
export interface LeaseInit {
  /** The lock's path or name (for messages). */
  readonly lockPath: string;
  /** What stands for this hold on the server: ZooKeeper's lock node, Redis's owner key. */
  readonly nodePath: string;
  /** The fencing token, or how to fetch it once. */
  readonly fencingToken: bigint | (() => Promise<bigint>);
  /** Gives up ownership; called exactly once. */
  readonly release: () => Promise<void>;
  /**
   * Starts reporting loss (it may report at once, synchronously) and returns how to stop. Loss
   * must be reported before the backend can grant the lock to anyone else, as far as it can tell.
   */
  readonly watchLoss: (lost: LossReporter) => () => void;
  /**
   * Reports a loss no event has told yet, synchronously — a TTL deadline that passed while the
   * process was paused (its timers have not run yet). Called whenever `signal` is read.
   */
  readonly pollLoss?: () => void;
  /** Watching worth paying for only when someone reads `signal` (ZooKeeper: our node's deletion). */
  readonly watchWhenObserved?: (signal: AbortSignal, lost: LossReporter) => void;
  /** Throws when the current caller may not release this lease (e.g. another owner's scope). */
  readonly assertMayRelease?: () => void;
  /** Runs `fn` inside this lease's owner scope (re-entrancy). */
  readonly runInScope?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Told once when ownership is lost (not on release): the hold behind the lease is void. */
  readonly onLost?: (reason: OwnershipLostError) => void;
  /** Told once, with the reason, when ownership is lost (the backend's logger). */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
}

/** A held lock (or lease, or re-entrant hold). `await using lease = await mutex.acquire()` releases it. */
export class Lease implements AsyncDisposable {
  readonly #init: LeaseInit;
  /** Made when `signal` is first read: a lease nobody watches costs no controller and no error. */
  #controller: AbortController | undefined;
  /** Why ownership ended (loss), or undefined while it lasts. */
  #lostReason: OwnershipLostError | undefined;
  #offLoss: (() => void) | undefined;
  readonly #heldSince = Date.now();
  #released = false;
  #token: bigint | undefined;
  #observed = false;

  /** @internal Leases are made by the locks; you get one from `acquire()`. */
  constructor(init: LeaseInit) {
    this.#init = init;
    if (typeof init.fencingToken === 'bigint') this.#token = init.fencingToken;
    const off = init.watchLoss((state, detail) => this.#lost(state, detail));
    // A loss reported synchronously, during watchLoss, has nothing to unsubscribe yet.
    if (this.#lostReason) off();
    else this.#offLoss = off;
  }

  /** What stands for this hold on the server: the lock node's path (ZooKeeper, relative to the namespace) or the owner key (Redis). */
  get nodePath(): string {
    return this.#init.nodePath;
  }

  /** The lock's path or name. */
  get lockPath(): string {
    return this.#init.lockPath;
  }

  /** True once released. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Aborts when ownership can no longer be guaranteed — ZooKeeper: SUSPENDED (policy `standard`),
   * LOST, or our node deleted by someone else; Redis: a renewal found the lock gone, or the TTL may
   * have run out — with an {@link OwnershipLostError}, and on release. Pass it to the work done
   * under the lock. Reading it also checks a TTL deadline at once, so a process resumed after a
   * pause (GC, SIGSTOP) sees the loss before its timers have run: read `lease.signal` afresh
   * rather than keeping an old reference when you check `aborted`.
   */
  get signal(): AbortSignal {
    if (!this.#lostReason && !this.#released) this.#init.pollLoss?.();
    if (!this.#controller) {
      const controller = new AbortController();
      this.#controller = controller;
      if (this.#lostReason) controller.abort(this.#lostReason);
      else if (this.#released) controller.abort(new OwnershipLostError(this.#init.lockPath, 'RELEASED', 'released'));
    }
    if (!this.#observed && !this.#controller.signal.aborted) {
      this.#observed = true;
      this.#init.watchWhenObserved?.(this.#controller.signal, (state, detail) => this.#lost(state, detail));
    }
    return this.#controller.signal;
  }

  #lost(state: string, detail?: string): void {
    if (this.#lostReason || this.#released) return;
    try {
      this.#init.warn?.(`zk-recipes: ownership of ${this.#init.lockPath} lost (${state})`, { nodePath: this.#init.nodePath });
    } catch {
      // a logger that throws must not keep the lease's signal from aborting
    }
    publish('zk-recipes:lease:lost', { path: this.#init.lockPath, nodePath: this.#init.nodePath, state });
    const reason = new OwnershipLostError(this.#init.lockPath, state, detail);
    this.#lostReason = reason;
    this.#init.onLost?.(reason);
    this.#abort(() => reason);
  }

  #abort(reason: () => Error): void {
    this.#offLoss?.();
    this.#offLoss = undefined;
    const controller = this.#controller;
    if (controller && !controller.signal.aborted) controller.abort(reason());
  }

  /**
   * A number that grows with every grant of the lock: ZooKeeper's lock node creation zxid
   * (strictly increasing across every lock on the ensemble), Redis's fencing counter. Hand it to
   * the guarded resource, which rejects writes carrying a lower token than one it has seen: that
   * keeps a paused or partitioned former holder from doing damage.
   */
  async fencingToken(): Promise<bigint> {
    if (this.#token !== undefined) return this.#token;
    const source = this.#init.fencingToken;
    const token = typeof source === 'bigint' ? source : await source();
    this.#token = token;
    return token;
  }

  /** Runs `fn` inside this lease's owner scope: nested acquires of the same lock re-enter. */
  async run<T>(fn: (lease: Lease) => Promise<T> | T): Promise<T> {
    if (this.#released) throw new AlreadyReleasedError(`The lease on ${this.#init.lockPath}`);
    const run = this.#init.runInScope ?? ((f: () => Promise<T>) => f());
    return run(async () => fn(this));
  }

  /** Gives up this hold. A second call rejects with {@link AlreadyReleasedError}. */
  async release(): Promise<void> {
    if (this.#released) throw new AlreadyReleasedError(`The lease on ${this.#init.lockPath}`);
    this.#init.assertMayRelease?.();
    this.#released = true;
    this.#abort(() => new OwnershipLostError(this.#init.lockPath, 'RELEASED', 'released'));
    await this.#init.release();
    publish('zk-recipes:release', { path: this.#init.lockPath, nodePath: this.#init.nodePath, holdMs: Date.now() - this.#heldSince });
  }

  /** Releases unless already released (so `await using` after an explicit release is fine). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#released) await this.release();
  }
}
