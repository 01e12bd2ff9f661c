/**
 * Wake-ups for PostgreSQL waiters, herd-free: one listening connection per pool (a client of the
 * pool's own Client class, outside the pool), on a channel of its own; a release NOTIFYs the next
 * waiter's id on that waiter's channel only. LISTEN needs a session: through a transaction-mode
 * pooler it cannot work, and waiters then rely on their bounded re-check alone. When the listener
 * drops (a restart, a cut link), every waiter looks again at once and the next look listens anew.
 */
import { randomBytes } from 'node:crypto';
import { WaiterHub } from '../src/lock/wake-hub.js';
import { raceDeadline } from '../src/core/timing.js';
import { PostgresUnavailableError } from './errors.js';
import { clientClassOf, type PgClientLike, type PgNotification, type PgPoolLike, poolEnded } from './pool.js';

const hubs = new WeakMap<PgPoolLike, ListenHub>();

/** One pool's listener and the waiters listening through it. */
export class ListenHub extends WaiterHub {
  /** The NOTIFY channel (a lower-case identifier). */
  readonly channel = `zkr_${randomBytes(8).toString('hex')}`;
  readonly #pool: PgPoolLike;
  #client: PgClientLike | undefined;
  #opening: Promise<void> | undefined;
  #listening = false;

  private constructor(pool: PgPoolLike, idleMs: number) {
    super(idleMs);
    this.#pool = pool;
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

  /** The channel a release notifies. */
  get address(): string {
    return this.channel;
  }

  get listening(): boolean {
    return this.#listening;
  }

  protected override get ownerClosed(): boolean {
    return poolEnded(this.#pool);
  }

  protected get open(): boolean {
    return this.#client !== undefined;
  }

  // An idle listener must not keep the process alive once the user is done (after pool.end()
  // too: the listener is a client of its own, which the pool does not end).
  protected override onBusy(): void {
    this.#client?.connection?.stream?.ref?.();
  }

  protected override onIdle(): void {
    this.#client?.connection?.stream?.unref?.();
  }

  subscribe(deadline: number): Promise<void> {
    if (this.#listening) return Promise.resolve();
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined;
      this.closeConnection();
      throw error;
    });
    return raceDeadline(this.#opening, deadline, () => new PostgresUnavailableError('Could not LISTEN for lock wake-ups in time.'));
  }

  async #open(): Promise<void> {
    const Client = clientClassOf(this.#pool);
    const client = new Client(this.#pool.options);
    this.#client = client;
    client.on('error', () => undefined); // a dropped listener ends; waiters look again
    client.on('notification', (n: PgNotification) => {
      if (n.channel === this.channel && n.payload) this.wake(n.payload);
    });
    client.on('end', () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#listening = false;
      this.#opening = undefined;
      this.wakeAll(); // notifications may have been lost
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      // A typed, transient error: the waiter backs off and looks again.
      throw new PostgresUnavailableError(`Could not LISTEN for lock wake-ups: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    }
    this.#listening = true;
    this.listeningStarted();
  }

  protected closeConnection(): void {
    this.stopIdleTimer();
    const client = this.#client;
    this.#client = undefined;
    this.#listening = false;
    this.#opening = undefined;
    if (hubs.get(this.#pool) === this) hubs.delete(this.#pool);
    void client?.end().catch(() => undefined);
  }

  /** Closes the listener of `pool` now, if no waiter uses it (before `pool.end()`, so nothing lingers). */
  static closeIdle(pool: PgPoolLike): void {
    hubs.get(pool)?.closeIfIdle();
  }
}
