/**
 * What every TTL backend's wake-up hub shares: the waiters listening through one connection, and
 * closing that connection once nobody has waited for a while — one timer per idle period, not one
 * per wait (waits come and go thousands of times a second). A backend adds how to open and close
 * its connection (Redis: a subscriber; PostgreSQL: a LISTEN client).
 */
import type { WakeSource } from './turn-wait.js';

const OWNER_CHECK_MS = 250;

/** A wake-up source with registered waiters and an idle close. */
export abstract class WaiterHub implements WakeSource {
  readonly #waiters = new Map<string, () => void>();
  readonly #idleMs: number;
  #idleTimer: NodeJS.Timeout | undefined;
  #idleSince = 0;
  #ownerTimer: NodeJS.Timeout | undefined;

  protected constructor(idleMs: number) {
    this.#idleMs = idleMs;
  }

  /** True when wake-ups can reach us now. */
  abstract get listening(): boolean;
  /** Starts listening (once), by `deadline`. */
  abstract subscribe(deadline: number): Promise<void>;
  /** True while the hub has a connection open. */
  protected abstract get open(): boolean;
  /** Closes the connection now. */
  protected abstract closeConnection(): void;
  /** The first waiter came (e.g. let the connection keep the process alive). */
  protected onBusy(): void {}
  /** The last waiter left. */
  protected onIdle(): void {}
  /** True once the user closed the client or pool the hub listens for: nothing will wake anyone again. */
  protected get ownerClosed(): boolean {
    return false;
  }

  register(waiterId: string, wake: () => void): () => void {
    if (this.#waiters.size === 0) {
      this.onBusy();
      this.#watchOwner();
    }
    this.#waiters.set(waiterId, wake);
    return () => {
      if (this.#waiters.get(waiterId) !== wake) return;
      this.#waiters.delete(waiterId);
      if (this.#waiters.size === 0) {
        clearInterval(this.#ownerTimer);
        this.#ownerTimer = undefined;
        // The user closed their client or pool: close ours now, so nothing keeps the process alive.
        if (this.ownerClosed) {
          this.closeConnection();
          return;
        }
        this.onIdle();
        this.#idleSince = Date.now();
        if (this.open && !this.#idleTimer) this.#scheduleClose(this.#idleMs);
      }
    };
  }

  /** Wakes the waiter named by a message, if it is ours. */
  protected wake(waiterId: string): void {
    this.#waiters.get(waiterId)?.();
  }

  /** Wakes every waiter (messages may have been lost: they look again). */
  protected wakeAll(): void {
    for (const wake of [...this.#waiters.values()]) wake();
  }

  /** Called once the connection is up: with nobody waiting, it closes after the idle time. */
  protected listeningStarted(): void {
    if (this.#waiters.size === 0) {
      this.onIdle();
      if (!this.#idleTimer) this.#scheduleClose(this.#idleMs);
    }
  }

  /** Stops the idle timer (the connection is being closed). */
  protected stopIdleTimer(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Closes the connection now if nobody waits (e.g. before the user closes the client or pool). */
  closeIfIdle(): void {
    if (this.#waiters.size === 0) this.closeConnection();
  }

  /**
   * While anyone waits, looks every 250 ms whether the user closed the client or pool: the
   * waiters then look again at once and end with ClientClosedError, instead of sitting out their
   * re-check (node-postgres's pool announces no end; one cheap timer serves every backend).
   */
  #watchOwner(): void {
    if (this.#ownerTimer) return;
    this.#ownerTimer = setInterval(() => {
      if (!this.ownerClosed) return;
      clearInterval(this.#ownerTimer);
      this.#ownerTimer = undefined;
      this.closeConnection();
      this.wakeAll();
    }, OWNER_CHECK_MS);
    this.#ownerTimer.unref();
  }

  #scheduleClose(delayMs: number): void {
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#waiters.size > 0 || !this.open) return;
      const idleFor = Date.now() - this.#idleSince;
      if (idleFor >= this.#idleMs) this.closeConnection();
      else this.#scheduleClose(this.#idleMs - idleFor);
    }, delayMs);
    this.#idleTimer.unref();
  }
}
