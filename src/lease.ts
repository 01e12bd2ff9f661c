/**
 * Lease: the handle a caller holds while it owns a lock (design §5). Release it exactly once;
 * watch `signal` to stop work when ownership can no longer be guaranteed; pass the fencing token
 * to the guarded resource so it can reject a stale holder.
 */
import type { ZkClient } from './client.js';
import { ConnectionState, isConnectedState, isErrorState } from './connection-state.js';
import { publish } from './diagnostics.js';
import { AlreadyReleasedError, NodeVanishedError, NoNodeError, OwnershipLostError } from './errors.js';

/** What a lock gives a {@link Lease} at construction. */
export interface LeaseInit {
  readonly client: ZkClient;
  /** The recipe's path (for messages). */
  readonly lockPath: string;
  /** Our lock node. */
  readonly nodePath: string;
  /** The session that owns the node. */
  readonly sessionId: string;
  /** The node's czxid when the create reply carried it (create2): no round trip for fencingToken(). */
  readonly fencingToken?: bigint;
  /** Gives up ownership; called exactly once. */
  readonly release: () => Promise<void>;
  /** Throws when the current caller may not release this lease (e.g. another owner's scope). */
  readonly assertMayRelease?: () => void;
  /** Runs `fn` inside this lease's owner scope (re-entrancy). */
  readonly runInScope?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Told once when ownership is lost (not on release): the hold behind the lease is void. */
  readonly onLost?: (reason: OwnershipLostError) => void;
}

/**
 * One client-state listener per client, shared by every lease of that client: many held leases
 * must not pile listeners on the client. Leases are told synchronously with the state change, so
 * their signals abort before anything else can be granted.
 */
const stateWatchers = new WeakMap<ZkClient, { handlers: Set<(state: ConnectionState) => void>; off: () => void }>();

function watchStates(client: ZkClient, onState: (state: ConnectionState) => void): () => void {
  let entry = stateWatchers.get(client);
  if (!entry) {
    const handlers = new Set<(state: ConnectionState) => void>();
    const off = client.on('state', (state) => {
      for (const handler of [...handlers]) handler(state);
    });
    entry = { handlers, off };
    stateWatchers.set(client, entry);
  }
  const current = entry;
  current.handlers.add(onState);
  return () => {
    current.handlers.delete(onState);
    if (current.handlers.size === 0 && stateWatchers.get(client) === current) {
      current.off();
      stateWatchers.delete(client);
    }
  };
}

/** A held lock (or lease, or re-entrant hold). `await using lease = await mutex.acquire()` releases it. */
export class Lease implements AsyncDisposable {
  readonly #init: LeaseInit;
  /** Made when `signal` is first read: a lease nobody watches costs no controller and no error. */
  #controller: AbortController | undefined;
  /** Why ownership ended (loss), or undefined while it lasts. */
  #lostReason: OwnershipLostError | undefined;
  readonly #offState: () => void;
  readonly #heldSince = Date.now();
  #released = false;
  #token: bigint | undefined;
  #watchingNode = false;

  constructor(init: LeaseInit) {
    this.#init = init;
    this.#token = init.fencingToken;
    const policy = init.client.errorPolicy;
    this.#offState = watchStates(init.client, (state) => {
      if (isErrorState(policy, state)) this.#lost(state);
    });
    const now = init.client.state;
    if (init.client.sessionId !== init.sessionId) this.#lost(ConnectionState.LOST);
    else if (now !== 'LATENT' && !isConnectedState(now) && isErrorState(policy, now)) this.#lost(now);
  }

  /** Our lock node's path (relative to the client's namespace). */
  get nodePath(): string {
    return this.#init.nodePath;
  }

  /** The recipe's path. */
  get lockPath(): string {
    return this.#init.lockPath;
  }

  /** True once released. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Aborts when ownership can no longer be guaranteed — SUSPENDED (policy `standard`), LOST, or
   * our node deleted by someone else — with an {@link OwnershipLostError}, and on release. Pass it
   * to the work done under the lock.
   */
  get signal(): AbortSignal {
    // Watch our own node only for callers who look at the signal: it also aborts when an operator
    // deletes the node, at the cost of one request that plain acquire/release loops do not pay.
    if (!this.#controller) {
      const controller = new AbortController();
      this.#controller = controller;
      if (this.#lostReason) controller.abort(this.#lostReason);
      else if (this.#released) controller.abort(new OwnershipLostError(this.#init.lockPath, 'RELEASED'));
    }
    if (!this.#watchingNode && !this.#controller.signal.aborted) {
      this.#watchingNode = true;
      void this.#watchNode(this.#controller.signal);
    }
    return this.#controller.signal;
  }

  async #watchNode(signal: AbortSignal): Promise<void> {
    try {
      for (;;) {
        const watched = await this.#init.client.watchData(this.#init.nodePath, { signal });
        const event = await watched.changed;
        if (event.type === 'NODE_DELETED') return this.#lost('DELETED');
        if (event.type !== 'NODE_DATA_CHANGED') return; // session lost or client closed: the state listener handles it
      }
    } catch (error) {
      if (error instanceof NoNodeError) this.#lost('DELETED');
      // otherwise: released (our controller aborted) or a connection problem the state listener reports
    }
  }

  #lost(state: string): void {
    if (this.#lostReason || this.#released) return;
    this.#init.client.logger.warn(`zk-recipes: ownership of ${this.#init.lockPath} lost (${state})`, { nodePath: this.#init.nodePath });
    publish('zk-recipes:lease:lost', { path: this.#init.lockPath, nodePath: this.#init.nodePath, state });
    const reason = new OwnershipLostError(this.#init.lockPath, state);
    this.#lostReason = reason;
    this.#init.onLost?.(reason);
    this.#abort(() => reason);
  }

  #abort(reason: () => Error): void {
    this.#offState();
    const controller = this.#controller;
    if (controller && !controller.signal.aborted) controller.abort(reason());
  }

  /**
   * The lock node's creation zxid: strictly increasing across every holder of every lock on the
   * ensemble. Hand it to the guarded resource, which rejects writes carrying a lower token than
   * one it has seen: that keeps a paused or partitioned former holder from doing damage.
   */
  async fencingToken(): Promise<bigint> {
    if (this.#token !== undefined) return this.#token;
    try {
      const stat = await this.#init.client.exists(this.#init.nodePath);
      if (!stat) throw new NodeVanishedError(this.#init.nodePath);
      this.#token = stat.czxid;
      return stat.czxid;
    } catch (error) {
      if (error instanceof NoNodeError) throw new NodeVanishedError(this.#init.nodePath);
      throw error;
    }
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
    this.#abort(() => new OwnershipLostError(this.#init.lockPath, 'RELEASED'));
    await this.#init.release();
    publish('zk-recipes:release', { path: this.#init.lockPath, nodePath: this.#init.nodePath, holdMs: Date.now() - this.#heldSince });
  }

  /** Releases unless already released (so `await using` after an explicit release is fine). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#released) await this.release();
  }
}
