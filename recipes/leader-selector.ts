/**
 * LeaderSelector: take turns leading. Built on InterProcessMutex exactly as Curator's (nodes
 * `<path>/_c_<uuid>-lock-<seq>`, the id as data), so Curator selectors join the same election.
 * `takeLeadership(signal)` runs while we hold the mutex; leadership ends when it returns or throws.
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { ConnectionState } from '../src/zookeeper/connection-state.js';
import { publish } from '../src/core/diagnostics.js';
import { ClientClosedError, ClientNotStartedError, InvalidArgumentError } from '../src/core/errors.js';
import { checkQueueNodeData } from '../src/zookeeper/request-size.js';
import type { Lease } from '../src/lock/lease.js';
import { localAddressBytes } from '../src/zookeeper/node-data.js';
import { validatePath } from '../src/zookeeper/paths.js';
import { SequentialQueue } from '../src/zookeeper/sequential-queue.js';
import { TypedEvents } from '../src/core/typed-events.js';
import { backoff, isClosed } from './leader-latch.js';
import { InterProcessMutex } from './mutex.js';
import { MUTEX_NODE_NAME } from './node-names.js';
import { type Participant, readParticipants } from './participants.js';
import { checkOptionKeys, type OptionKeys } from '../src/core/options.js';

/** Options of {@link LeaderSelector}. */
export interface LeaderSelectorOptions {
  /** Runs while we lead. Return (or throw) to give leadership up; stop when `signal` aborts. */
  readonly takeLeadership: (signal: AbortSignal) => Promise<void>;
  /** This participant's id (node data). @default '' (then the node carries this host's IP, as Curator) */
  readonly id?: string;
  /** Queue again after every term. @default false */
  readonly autoRequeue?: boolean;
}

const SELECTOR_OPTION_KEYS: OptionKeys<LeaderSelectorOptions> = { takeLeadership: true, id: true, autoRequeue: true };

/** Events of a {@link LeaderSelector}. */
export interface LeaderSelectorEvents {
  [event: string]: unknown[];
  /** A term began. */
  isLeader: [];
  /** A term ended. */
  notLeader: [];
  /** `takeLeadership` threw, or the election failed; the selector goes on (requeues if asked to). */
  error: [error: unknown];
}

/**
 * ```ts
 * const selector = new LeaderSelector(client, '/election/scheduler', {
 *   id: 'worker-1',
 *   autoRequeue: true,
 *   takeLeadership: async (signal) => { await runSchedulerUntil(signal); },
 * });
 * selector.on('error', (e) => log.warn(e));
 * selector.start();
 * ```
 */
export class LeaderSelector implements AsyncDisposable {
  readonly client: ZkClient;
  readonly path: string;
  readonly id: string;
  readonly #options: LeaderSelectorOptions;
  readonly #mutex: InterProcessMutex;
  readonly #queue: SequentialQueue;
  readonly #events = new TypedEvents<LeaderSelectorEvents>();
  #state: 'LATENT' | 'STARTED' | 'CLOSED' = 'LATENT';
  #leader = false;
  #queued = 0;
  #closing = new AbortController();
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(client: ZkClient, path: string, options: LeaderSelectorOptions) {
    if (!client || typeof client.getChildren !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    if (!options || typeof options.takeLeadership !== 'function')
      throw new InvalidArgumentError('takeLeadership must be a function (signal) => Promise<void>.');
    checkOptionKeys('LeaderSelector options', options, SELECTOR_OPTION_KEYS);
    if (options.id !== undefined && typeof options.id !== 'string') throw new InvalidArgumentError('id must be a string.');
    this.client = client;
    this.path = validatePath(path);
    this.id = options.id ?? '';
    checkQueueNodeData('LeaderSelector id', client.namespace, this.path, MUTEX_NODE_NAME, Buffer.byteLength(this.id, 'utf8'));
    this.#options = options;
    this.#mutex = new InterProcessMutex(client, this.path, { data: this.id ? Buffer.from(this.id, 'utf8') : localAddressBytes() });
    this.#queue = new SequentialQueue(client, this.path, { sortNames: [MUTEX_NODE_NAME] });
  }

  /** Subscribes to `isLeader`, `notLeader` or `error`; returns an unsubscribe function. */
  on<K extends keyof LeaderSelectorEvents>(event: K, listener: (...args: LeaderSelectorEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Removes a listener. */
  off<K extends keyof LeaderSelectorEvents>(event: K, listener: (...args: LeaderSelectorEvents[K]) => void): void {
    this.#events.off(event, listener);
  }

  /** True while `takeLeadership` runs. */
  hasLeadership(): boolean {
    return this.#leader;
  }

  /** Queues for leadership (once; again after each term with autoRequeue). */
  start(): void {
    if (this.#state !== 'LATENT')
      throw new InvalidArgumentError(`LeaderSelector on ${this.path} was already started or closed; create a new one.`);
    if (isClosed(this.client)) throw new ClientClosedError('LeaderSelector.start()');
    if (!this.client.started) throw new ClientNotStartedError();
    this.#state = 'STARTED';
    this.#queued = 1;
    this.#loop = this.#runLoop();
  }

  /** Queues one more attempt if none is pending. Returns false when one already was. */
  requeue(): boolean {
    if (this.#state !== 'STARTED') throw new InvalidArgumentError(`LeaderSelector on ${this.path} is not started.`);
    if (this.#queued > 0) return false;
    this.#queued = 1;
    this.#wake?.();
    return true;
  }

  /** Leaves the election: aborts `takeLeadership`'s signal, waits for it, releases our node. */
  async close(): Promise<void> {
    if (this.#state === 'CLOSED') return;
    this.#state = 'CLOSED';
    this.#closing.abort();
    this.#wake?.();
    await this.#loop;
    this.#events.removeAllListeners();
  }

  /** `await using selector = ...`: closes the selector. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Every participant in queue order; the first one leads. */
  getParticipants(): Promise<Participant[]> {
    return readParticipants(this.#queue);
  }

  /** The current leader, or undefined. */
  async getLeader(): Promise<Participant | undefined> {
    return (await this.getParticipants())[0];
  }

  async #runLoop(): Promise<void> {
    const closing = this.#closing.signal;
    let failures = 0;
    // A closed client ends the selector too: nothing can be led through it any more.
    while (!closing.aborted && this.client.state !== ConnectionState.CLOSED) {
      if (this.#queued === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      let lease: Lease;
      try {
        lease = await this.#mutex.acquire({ signal: closing });
      } catch (error) {
        if (closing.aborted || isClosed(this.client)) break;
        failures++;
        this.#events.emit('error', error);
        if (!this.#options.autoRequeue) this.#queued = 0;
        await backoff(Math.min(1000, 50 * 2 ** Math.min(failures, 5)), closing);
        continue;
      }
      failures = 0;
      this.#queued = this.#options.autoRequeue ? 1 : 0;
      await this.#term(lease, closing);
    }
  }

  async #term(lease: Lease, closing: AbortSignal): Promise<void> {
    this.#leader = true;
    publish('zk-recipes:leadership', { recipe: 'LeaderSelector', path: this.path, id: this.id, leader: true });
    this.#events.emit('isLeader');
    try {
      // Aborts on connection trouble per the error policy (the lease's signal) and on close().
      await this.#options.takeLeadership(AbortSignal.any([lease.signal, closing]));
    } catch (error) {
      this.#events.emit('error', error);
    } finally {
      this.#leader = false;
      publish('zk-recipes:leadership', { recipe: 'LeaderSelector', path: this.path, id: this.id, leader: false });
      this.#events.emit('notLeader');
      await lease.release().catch((error: unknown) => this.#events.emit('error', error));
    }
  }
}
