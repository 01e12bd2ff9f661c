/**
 * Wake-ups for PostgreSQL waiters, herd-free: one listening connection per pool (a client of the
 * pool's own Client class, outside the pool), on a channel of its own; a release NOTIFYs the next
 * waiter's id on that waiter's channel only. LISTEN needs a session: through a transaction-mode
 * pooler it cannot work, and waiters then rely on their bounded re-check alone. When the listener
 * drops (a restart, a cut link), every waiter looks again at once and the next look listens anew.
 */
import { randomBytes } from 'node:crypto';
import type { WakeSource } from '../src/lock/turn-wait.js';
import { clientClassOf, type PgClientLike, type PgNotification, type PgPoolLike } from './pool.js';
import { PostgresUnavailableError } from './errors.js';

const hubs = new WeakMap<PgPoolLike, ListenHub>();

/** One pool's listener and the waiters listening through it. */
export class ListenHub implements WakeSource {
  /** The NOTIFY channel (a lower-case identifier). */
  readonly channel = `zkr_${randomBytes(8).toString('hex')}`;
  readonly #pool: PgPoolLike;
  readonly #idleMs: number;
  readonly #waiters = new Map<string, () => void>();
  #client: PgClientLike | undefined;
  #opening: Promise<void> | undefined;
  #listening = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #idleSince = 0;

  private constructor(pool: PgPoolLike, idleMs: number) {
    this.#pool = pool;
    this.#idleMs = idleMs;
  }

  /** The hub of `pool` (made on first use). */
  static of(pool: PgPoolLike, idleMs: number): ListenHub {
    let hub = hubs.get(pool);
    if (!hub) {
      hub = new ListenHub(pool, idleMs);
      hubs.set(pool, hub);
    }
    return hub;
  }

  get listening(): boolean {
    return this.#listening;
  }

  register(waiterId: string, wake: () => void): () => void {
    this.#waiters.set(waiterId, wake);
    return () => {
      if (this.#waiters.get(waiterId) !== wake) return;
      this.#waiters.delete(waiterId);
      if (this.#waiters.size === 0) {
        this.#idleSince = Date.now();
        if (this.#client && !this.#idleTimer) this.#scheduleClose(this.#idleMs);
      }
    };
  }

  subscribe(deadline: number): Promise<void> {
    if (this.#listening) return Promise.resolve();
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined;
      this.#close();
      throw error;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PostgresUnavailableError('Could not LISTEN for lock wake-ups in time.')), Math.max(0, deadline - Date.now()));
    });
    return Promise.race([this.#opening, timeout]).finally(() => clearTimeout(timer));
  }

  async #open(): Promise<void> {
    const Client = clientClassOf(this.#pool);
    const client = new Client(this.#pool.options);
    this.#client = client;
    client.on('error', () => undefined); // a dropped listener ends; waiters look again
    client.on('notification', (n: PgNotification) => {
      if (n.channel === this.channel && n.payload) this.#waiters.get(n.payload)?.();
    });
    client.on('end', () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#listening = false;
      this.#opening = undefined;
      for (const wake of [...this.#waiters.values()]) wake(); // notifications may have been lost
    });
    await client.connect();
    await client.query(`LISTEN "${this.channel}"`);
    this.#listening = true;
    if (this.#waiters.size === 0 && !this.#idleTimer) this.#scheduleClose(this.#idleMs);
  }

  // One timer per idle period, not one per wait.
  #scheduleClose(delayMs: number): void {
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#waiters.size > 0 || !this.#client) return;
      const idleFor = Date.now() - this.#idleSince;
      if (idleFor >= this.#idleMs) this.#close();
      else this.#scheduleClose(this.#idleMs - idleFor);
    }, delayMs);
    this.#idleTimer.unref();
  }

  #close(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#listening = false;
    this.#opening = undefined;
    if (hubs.get(this.#pool) === this) hubs.delete(this.#pool);
    void client?.end().catch(() => undefined);
  }

  /** Closes the listener of `pool` now, if no waiter uses it (before `pool.end()`, so nothing lingers). */
  static closeIdle(pool: PgPoolLike): void {
    const hub = hubs.get(pool);
    if (hub && hub.#waiters.size === 0) hub.#close();
  }
}
