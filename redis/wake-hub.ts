/**
 * Wake-ups for Redis waiters, herd-free: one subscriber connection (the user client's `duplicate()`)
 * per client, on a channel of its own; a release publishes the next waiter's id on that waiter's
 * channel only, and the hub hands it to that one waiter. The Redis analogue of watching one's
 * predecessor. A message lost while the subscriber reconnects costs a bounded re-check (every
 * waiter re-checks on its own timer, and at once after a reconnect), never a hang.
 */
import { randomBytes } from 'node:crypto';
import { WaiterHub } from '../src/lock/wake-hub.js';
import { raceDeadline } from '../src/core/timing.js';
import { RedisUnavailableError } from './errors.js';
import { WAKE_CHANNEL_PREFIX } from './lock-scripts.js';
import { assertReady, type RedisClientLike, type RedisSubscriberLike } from './scripts.js';

const hubs = new WeakMap<RedisClientLike, WakeHub>();
export const subscribeTimeout = () => new RedisUnavailableError('Could not subscribe for Redis lock wake-ups in time.');

/** A failed subscription as a typed, transient error: the waiter backs off and looks again. */
export function subscribeFailed(error: unknown): RedisUnavailableError {
  return new RedisUnavailableError(`Could not subscribe for Redis lock wake-ups: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
}

/** One client's subscriber and the waiters listening through it. */
export class WakeHub extends WaiterHub {
  /** Goes into waiter ids: `<id>.<uuid>` (base64url has no dot). */
  readonly id = randomBytes(9).toString('base64url');
  readonly channel = `${WAKE_CHANNEL_PREFIX}${this.id}`;
  readonly #client: RedisClientLike;
  #subscriber: RedisSubscriberLike | undefined;
  #subscribing: Promise<void> | undefined;
  #subscribed = false;
  /** Waiters for the subscriber to be ready again after a drop. */
  readonly #backUp: (() => void)[] = [];

  private constructor(client: RedisClientLike, idleMs: number) {
    super(idleMs);
    this.#client = client;
  }

  /** The hub of `client` (made on first use). */
  static of(client: RedisClientLike, idleMs: number): WakeHub {
    let hub = hubs.get(client);
    if (!hub) {
      hub = new WakeHub(client, idleMs);
      hubs.set(client, hub);
    }
    return hub;
  }

  /** Waiter ids start with it: `<id>.<uuid>`. */
  get address(): string {
    return this.id;
  }

  /** True when wake-ups can reach us now (subscribed, connection up). */
  get listening(): boolean {
    return this.#subscribed && this.#subscriber?.isReady === true;
  }

  protected get open(): boolean {
    return this.#subscriber !== undefined;
  }

  // An idle subscriber must not keep the process alive once the user is done.
  protected override onBusy(): void {
    this.#subscriber?.ref?.();
  }

  protected override onIdle(): void {
    this.#subscriber?.unref?.();
  }

  protected override get ownerClosed(): boolean {
    return !this.#client.isOpen;
  }

  /** Subscribes (once per hub), by `deadline`; while the subscriber reconnects, waits for it to be back. */
  subscribe(deadline: number): Promise<void> {
    if (this.#subscribed) {
      if (this.listening) return Promise.resolve();
      // Subscribed, but the connection is re-establishing: a look now could not be woken, and
      // looking again at once would spin until it is back.
      return raceDeadline(new Promise<void>((resolve) => this.#backUp.push(resolve)), deadline, subscribeTimeout);
    }
    this.#subscribing ??= this.#open().catch((error: unknown) => {
      this.#subscribing = undefined;
      this.closeConnection();
      throw error;
    });
    return raceDeadline(this.#subscribing, deadline, subscribeTimeout);
  }

  async #open(): Promise<void> {
    assertReady(this.#client, 'Waiting for a Redis lock');
    const subscriber = this.#client.duplicate();
    this.#subscriber = subscriber;
    // node-redis reconnects by itself; without an error listener its errors would crash the process.
    subscriber.on('error', () => undefined);
    let connectedOnce = false;
    subscriber.on('ready', () => {
      if (connectedOnce) this.wakeAll(); // messages may have been lost meanwhile
      connectedOnce = true;
      for (const resolve of this.#backUp.splice(0)) resolve();
    });
    try {
      await subscriber.connect();
      await subscriber.subscribe(this.channel, (message) => this.wake(message));
    } catch (error) {
      throw subscribeFailed(error);
    }
    this.#subscribed = true;
    this.listeningStarted();
  }

  protected closeConnection(): void {
    this.stopIdleTimer();
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#subscribed = false;
    this.#subscribing = undefined;
    if (hubs.get(this.#client) === this) hubs.delete(this.#client);
    try {
      subscriber?.destroy();
    } catch {
      // already closed
    }
  }
}
