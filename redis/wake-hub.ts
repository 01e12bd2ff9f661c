/**
 * Wake-ups for waiters, herd-free: one subscriber connection (the user client's `duplicate()`) per
 * client, on a channel of its own; a release publishes the next waiter's id on that waiter's
 * channel only, and the hub hands it to that one waiter. The Redis analogue of watching one's
 * predecessor. A message lost while the subscriber reconnects costs a bounded re-check (every
 * waiter re-checks on its own timer, and at once after a reconnect), never a hang.
 */
import { randomBytes } from 'node:crypto';
import { WAKE_CHANNEL_PREFIX } from './lock-scripts.js';
import { type RedisClientLike, type RedisSubscriberLike, assertReady } from './scripts.js';
import { RedisUnavailableError } from './errors.js';

const hubs = new WeakMap<RedisClientLike, WakeHub>();

/** One client's subscriber and the waiters listening through it. */
export class WakeHub {
  /** Goes into waiter ids: `<id>.<uuid>` (base64url has no dot). */
  readonly id = randomBytes(9).toString('base64url');
  readonly channel = `${WAKE_CHANNEL_PREFIX}${this.id}`;
  readonly #client: RedisClientLike;
  readonly #idleMs: number;
  readonly #waiters = new Map<string, () => void>();
  #subscriber: RedisSubscriberLike | undefined;
  #subscribing: Promise<void> | undefined;
  #subscribed = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #idleSince = 0;

  private constructor(client: RedisClientLike, idleMs: number) {
    this.#client = client;
    this.#idleMs = idleMs;
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

  /** True when wake-ups can reach us now (subscribed, connection up). */
  get listening(): boolean {
    return this.#subscribed && this.#subscriber?.isReady === true;
  }

  /** Number of waiters registered (for tests). */
  get waiterCount(): number {
    return this.#waiters.size;
  }

  /** Calls `wake` when a release names `waiterId`; returns how to stop. */
  register(waiterId: string, wake: () => void): () => void {
    if (this.#waiters.size === 0) this.#subscriber?.ref?.();
    this.#waiters.set(waiterId, wake);
    return () => {
      if (this.#waiters.get(waiterId) !== wake) return;
      this.#waiters.delete(waiterId);
      if (this.#waiters.size === 0) {
        // An idle subscriber must not keep the process alive once the user is done.
        this.#subscriber?.unref?.();
        this.#idleSince = Date.now();
        if (this.#subscriber && !this.#idleTimer) this.#scheduleClose(this.#idleMs);
      }
    };
  }

  /** Subscribes (once per hub), by `deadline`. */
  subscribe(deadline: number): Promise<void> {
    if (this.#subscribed) return Promise.resolve();
    this.#subscribing ??= this.#open().catch((error: unknown) => {
      this.#subscribing = undefined;
      this.#close();
      throw error;
    });
    return withDeadline(this.#subscribing, deadline);
  }

  async #open(): Promise<void> {
    assertReady(this.#client, 'Waiting for a Redis lock');
    const subscriber = this.#client.duplicate();
    this.#subscriber = subscriber;
    // node-redis reconnects by itself; without an error listener its errors would crash the process.
    subscriber.on('error', () => undefined);
    let connectedOnce = false;
    subscriber.on('ready', () => {
      if (connectedOnce) for (const wake of [...this.#waiters.values()]) wake(); // messages may have been lost meanwhile
      connectedOnce = true;
    });
    await subscriber.connect();
    await subscriber.subscribe(this.channel, (message) => this.#waiters.get(message)?.());
    this.#subscribed = true;
    if (this.#waiters.size === 0) {
      subscriber.unref?.();
      if (!this.#idleTimer) this.#scheduleClose(this.#idleMs);
    }
  }

  // One timer per idle period, not one per wait: waits come and go thousands of times a second.
  #scheduleClose(delayMs: number): void {
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#waiters.size > 0 || !this.#subscriber) return;
      const idleFor = Date.now() - this.#idleSince;
      if (idleFor >= this.#idleMs) this.#close();
      else this.#scheduleClose(this.#idleMs - idleFor);
    }, delayMs);
    this.#idleTimer.unref();
  }

  #close(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
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

  /** Closes the subscriber of `client` now, if it has one and no waiter uses it. */
  static closeIdle(client: RedisClientLike): void {
    const hub = hubs.get(client);
    if (hub && hub.#waiters.size === 0) hub.#close();
  }
}

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RedisUnavailableError('Could not subscribe for Redis lock wake-ups in time.')),
      Math.max(0, deadline - Date.now()),
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
