/**
 * LeaderLatch: join an election and stay in it; the participant with the lowest node leads.
 * Wire-compatible with Curator's (`<path>/_c_<uuid>-latch-<seq>`, the id as UTF-8 data).
 *
 * Why two latches never both report leadership. Another participant can only be elected once our
 * node is gone, i.e. once the server has expired our session (or we deleted the node). The server
 * expires a session only after hearing nothing from it for a whole session timeout T. Our client
 * declares SUSPENDED once it has heard no reply for 2/3 T (checked every T/12, so by 3/4 T at the
 * latest), and a reply comes after the server last heard us. Under the `standard` error policy we
 * drop leadership synchronously on SUSPENDED — before the server can expire the session, as long
 * as a reply takes less than T/4 to come back. Under the `session` policy we hold on through
 * SUSPENDED and drop at LOST, which the client declares after SUSPENDED + T: a deliberately weaker
 * guarantee for users who prefer fewer step-downs (guard resources with fencing tokens then).
 * Leadership is claimed only while connected and after checking that our node's ephemeral owner is
 * our current session (Curator 5.7's check), so a node of a dead session never makes us leader.
 */
import { settleWithin, sleep } from '../src/core/timing.js';
import { MAX_TIMEOUT_MS } from '../src/core/limits.js';
import { validateTimeout } from '../src/zookeeper/client-options.js';
import type { ZkClient } from '../src/zookeeper/client.js';
import { ConnectionState, isErrorState } from '../src/zookeeper/connection-state.js';
import { publish } from '../src/core/diagnostics.js';
import {
  ClientClosedError,
  ClientNotStartedError,
  InvalidArgumentError,
  LeadershipTimeoutError,
  NodeVanishedError,
  NoNodeError,
  RecipeClosedError,
} from '../src/core/errors.js';
import { checkQueueNodeData } from '../src/zookeeper/request-size.js';
import { validatePath } from '../src/zookeeper/paths.js';
import { leasePredicate, type QueueNode, SequentialQueue } from '../src/zookeeper/sequential-queue.js';
import { TypedEvents } from '../src/core/typed-events.js';
import { WAIT_OVER } from '../src/zookeeper/wait.js';
import { type Participant, readParticipants } from './participants.js';
import { LATCH_NODE_NAME } from './node-names.js';
import { checkOptionKeys, type OptionKeys } from '../src/core/options.js';
import { sameSession } from '../src/zookeeper/session-id.js';

/** `silent` (default): close without events. `notifyLeader`: a leader emits `notLeader` first. */
export type LatchCloseMode = 'silent' | 'notifyLeader';

/** Options of {@link LeaderLatch}. */
export interface LeaderLatchOptions {
  /** This participant's id, written as UTF-8 node data. @default '' (empty data, as Curator) */
  readonly id?: string;
  /** @default 'silent' */
  readonly closeMode?: LatchCloseMode;
}

const LATCH_OPTION_KEYS: OptionKeys<LeaderLatchOptions> = { id: true, closeMode: true };
const WAIT_OPTION_KEYS: OptionKeys<{ timeoutMs?: number; signal?: AbortSignal }> = { timeoutMs: true, signal: true };

/** Events of a {@link LeaderLatch}. */
export interface LeaderLatchEvents {
  [event: string]: unknown[];
  /** We became the leader. */
  isLeader: [];
  /** We stopped being the leader (connection suspended/lost, node gone, or close with notifyLeader). */
  notLeader: [];
  /** A background error (the latch keeps trying). */
  error: [error: unknown];
}

type LatchState = 'LATENT' | 'STARTED' | 'CLOSED';

/** True once the client was closed (read fresh: it changes across awaits). */
export function isClosed(client: ZkClient): boolean {
  return client.state === ConnectionState.CLOSED;
}

/** Sleeps `ms` or until `signal` aborts (then resolves early), leaving no listener behind. */
export function backoff(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, signal, 'resolve');
}

/**
 * ```ts
 * const latch = new LeaderLatch(client, '/election/indexer', { id: 'worker-1' });
 * latch.on('isLeader', () => startIndexing());
 * latch.on('notLeader', () => stopIndexing());
 * await latch.start();
 * ```
 */
export class LeaderLatch implements AsyncDisposable {
  readonly client: ZkClient;
  readonly path: string;
  readonly id: string;
  readonly #closeMode: LatchCloseMode;
  readonly #queue: SequentialQueue;
  readonly #events = new TypedEvents<LeaderLatchEvents>();
  #state: LatchState = 'LATENT';
  #leader = false;
  #node: QueueNode | undefined;
  #run: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #offState: (() => void) | undefined;
  /** Wakes the loop when leadership must be re-examined. */
  #poke: (() => void) | undefined;
  /** Aborts when the latch closes (by close() or with its client): ends every wait on it. */
  readonly #closed = new AbortController();

  constructor(client: ZkClient, path: string, options: LeaderLatchOptions = {}) {
    if (!client || typeof client.getChildren !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    checkOptionKeys('LeaderLatch options', options, LATCH_OPTION_KEYS);
    if (options.id !== undefined && typeof options.id !== 'string') throw new InvalidArgumentError('id must be a string.');
    const closeMode = options.closeMode ?? 'silent';
    if (closeMode !== 'silent' && closeMode !== 'notifyLeader')
      throw new InvalidArgumentError(`closeMode must be 'silent' or 'notifyLeader'.`);
    this.client = client;
    this.path = validatePath(path);
    this.id = options.id ?? '';
    checkQueueNodeData('LeaderLatch id', client.namespace, this.path, LATCH_NODE_NAME, Buffer.byteLength(this.id, 'utf8'));
    this.#closeMode = closeMode;
    this.#queue = new SequentialQueue(client, this.path, { sortNames: [LATCH_NODE_NAME] });
  }

  /** Subscribes to `isLeader`, `notLeader` or `error`; returns an unsubscribe function. */
  on<K extends keyof LeaderLatchEvents>(event: K, listener: (...args: LeaderLatchEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Removes a listener. */
  off<K extends keyof LeaderLatchEvents>(event: K, listener: (...args: LeaderLatchEvents[K]) => void): void {
    this.#events.off(event, listener);
  }

  /** True while this latch leads (and is started). */
  hasLeadership(): boolean {
    return this.#state === 'STARTED' && this.#leader;
  }

  /** Our current node's path, if we have one. */
  get nodePath(): string | undefined {
    return this.#node?.path;
  }

  /**
   * Joins the election. Resolves once our node exists (leadership may come later). Rejects with
   * ClientNotStartedError / ClientClosedError when the client is not started or closed.
   */
  async start(): Promise<void> {
    if (this.#state !== 'LATENT')
      throw new InvalidArgumentError(
        `LeaderLatch on ${this.path} was already ${this.#state === 'STARTED' ? 'started' : 'closed'}; create a new one.`,
      );
    if (isClosed(this.client)) throw new ClientClosedError('LeaderLatch.start()');
    if (!this.client.started) throw new ClientNotStartedError();
    this.#state = 'STARTED';
    const run = new AbortController();
    this.#run = run;
    this.#offState = this.client.on('state', (state) => this.#onState(state));
    let joined!: () => void;
    const firstJoin = new Promise<void>((resolve) => {
      joined = resolve;
    });
    this.#loop = this.#runLoop(run.signal, joined);
    await Promise.race([firstJoin, this.#loop]);
    if (isClosed(this.client)) throw new ClientClosedError('LeaderLatch.start()');
  }

  /** Leaves the election and deletes our node. Idempotent. */
  async close(options: { closeMode?: LatchCloseMode } = {}): Promise<void> {
    if (this.#state !== 'STARTED') {
      this.#markClosed(new RecipeClosedError(`LeaderLatch on ${this.path}`));
      return;
    }
    const mode = options.closeMode ?? this.#closeMode;
    if (mode === 'notifyLeader') this.#setLeader(false);
    else this.#leader = false;
    this.#markClosed(new RecipeClosedError(`LeaderLatch on ${this.path}`));
    await this.#loop;
    const node = this.#node;
    this.#node = undefined;
    if (node) await this.#queue.leave(node);
    this.#events.removeAllListeners();
  }

  /**
   * Drops our node through the queue, so the queue forgets it as live (and deletes it if it still
   * exists in our session — e.g. failed the owner check — so it never stands ahead of our next one).
   */
  #forgetNode(): void {
    const node = this.#node;
    this.#node = undefined;
    if (node) void this.#queue.leave(node).catch(() => undefined);
  }

  /** Ends the latch's waits (awaitLeadership rejects with `reason`, changes() ends) and its loop. */
  #markClosed(reason: Error): void {
    this.#state = 'CLOSED';
    this.#offState?.();
    this.#run?.abort();
    if (!this.#closed.signal.aborted) this.#closed.abort(reason);
  }

  /** `await using latch = ...`: closes the latch. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Resolves once we lead; LeadershipTimeoutError after `timeoutMs`, the signal's reason on abort. */
  async awaitLeadership(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    checkOptionKeys('awaitLeadership options', options, WAIT_OPTION_KEYS);
    const timeoutMs = validateTimeout('timeoutMs', options.timeoutMs, 'to wait without a limit');
    if (this.#state !== 'STARTED') throw new InvalidArgumentError(`LeaderLatch on ${this.path} is not started.`);
    if (this.hasLeadership()) return;
    options.signal?.throwIfAborted();
    const closed = this.#closed.signal;
    await settleWithin<void>(
      (resolve, reject) => {
        const off = this.#events.on('isLeader', () => resolve());
        // A follower must not wait for ever on a latch (or client) that was closed.
        const onClosed = () => reject(closed.reason);
        closed.addEventListener('abort', onClosed, { once: true });
        return () => {
          off();
          closed.removeEventListener('abort', onClosed);
        };
      },
      timeoutMs,
      () => new LeadershipTimeoutError(this.path, timeoutMs ?? 0),
      options.signal,
    );
  }

  /** Every participant in queue order (Curator's nodes included); the first leads. */
  getParticipants(): Promise<Participant[]> {
    return readParticipants(this.#queue);
  }

  /** The current leader, or undefined when nobody is in the election. */
  async getLeader(): Promise<Participant | undefined> {
    return (await this.getParticipants())[0];
  }

  /** Leadership changes as they happen: the current value first, then every change, until `signal` aborts or the latch closes. */
  async *changes(options: { signal?: AbortSignal } = {}): AsyncGenerator<boolean> {
    const queue: boolean[] = [this.hasLeadership()];
    let wake: (() => void) | undefined;
    const push = (value: boolean) => {
      queue.push(value);
      wake?.();
    };
    const offs = [this.#events.on('isLeader', () => push(true)), this.#events.on('notLeader', () => push(false))];
    const stop = () => wake?.();
    const closed = this.#closed.signal;
    options.signal?.addEventListener('abort', stop, { once: true });
    closed.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift() as boolean;
        if (options.signal?.aborted || closed.aborted || this.#state === 'CLOSED') return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      for (const off of offs) off();
      options.signal?.removeEventListener('abort', stop);
      closed.removeEventListener('abort', stop);
    }
  }

  #setLeader(leader: boolean): void {
    if (this.#leader === leader) return;
    this.#leader = leader;
    publish('zk-recipes:leadership', { recipe: 'LeaderLatch', path: this.path, id: this.id, leader });
    this.client.logger.info(`zk-recipes: LeaderLatch ${this.path} ${leader ? 'leads' : 'stepped down'}`, { id: this.id });
    if (this.#state === 'STARTED' || !leader) this.#events.emit(leader ? 'isLeader' : 'notLeader');
  }

  /** Runs synchronously with the client's state event: step down before anyone else can be elected. */
  #onState(state: ConnectionState): void {
    if (isErrorState(this.client.errorPolicy, state)) this.#setLeader(false);
    if (state === ConnectionState.LOST) this.#forgetNode(); // gone with the session; rejoin
    if (state === ConnectionState.CLOSED) this.#markClosed(new ClientClosedError(`LeaderLatch on ${this.path}`));
    this.#poke?.();
  }

  async #runLoop(signal: AbortSignal, joined: () => void): Promise<void> {
    let failures = 0;
    // A closed client ends the latch too: nothing can be led through it any more.
    while (!signal.aborted && this.client.state !== ConnectionState.CLOSED) {
      try {
        if (!this.#node || this.#node.sessionId !== this.client.sessionId) {
          await this.client.blockUntilConnected({ signal, timeoutMs: MAX_TIMEOUT_MS });
          this.#node = await this.#queue.join(LATCH_NODE_NAME, Buffer.from(this.id, 'utf8'), { signal });
          if (signal.aborted) break;
        }
        joined();
        const node = this.#node;
        await this.#queue.waitTurn(node, leasePredicate(1), { signal, trustSolePredecessor: true });
        // Curator 5.7's check: lead only through a node of our current session.
        const stat = await this.client.exists(node.path, { signal });
        if (!stat || !sameSession(this.client.sessionId, stat.ephemeralOwner)) {
          throw new NodeVanishedError(node.path);
        }
        await this.#lead(node, signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted || isClosed(this.client)) break;
        this.#setLeader(false);
        if (error instanceof NodeVanishedError || error instanceof NoNodeError) {
          this.#forgetNode(); // rejoin with a new node
          continue;
        }
        failures++;
        if (failures > 3) this.#events.emit('error', error);
        await backoff(Math.min(1000, 50 * 2 ** Math.min(failures, 5)), signal);
      }
    }
    joined();
  }

  /** Leads until our node goes, or the connection state says we may no longer lead. */
  async #lead(node: QueueNode, signal: AbortSignal): Promise<void> {
    const iteration = new AbortController();
    const both = AbortSignal.any([signal, iteration.signal]);
    try {
      // One watch on our own node: if someone deletes it, we step down and rejoin.
      const watched = await this.client.watchData(node.path, { signal: both });
      // Claim leadership only while connected (checked synchronously with the claim).
      const now = this.client.state;
      if (now === ConnectionState.CONNECTED || now === ConnectionState.RECONNECTED) this.#setLeader(true);
      else return;
      await new Promise<void>((resolve) => {
        this.#poke = resolve;
        watched.changed.then(
          () => resolve(),
          () => resolve(),
        );
        if (!this.#leader) resolve();
      });
    } finally {
      this.#poke = undefined;
      iteration.abort(WAIT_OVER);
    }
  }
}
