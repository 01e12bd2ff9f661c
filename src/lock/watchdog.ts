/**
 * Keeps a TTL lease alive and says when it may be gone: renews every ttl/3, and reports loss
 * when a renewal finds the lock gone or another's (`NOT_OWNER`), or — with no answer — when our
 * monotonic clock reaches the last confirmed deadline minus a drift margin (`EXPIRED`), before
 * the TTL can run out on the server. The deadline counts from when each request was *sent*, so
 * time spent in flight is never credited to us. Backend-neutral: a database lease uses it too.
 */
import { performance } from 'node:perf_hooks';
import type { LossReporter } from './lease.js';

/** How a watchdog renews: resolves true when renewed, false when the lease is not ours any more. */
export type Renew = (deadline: number) => Promise<boolean>;

/** Options of a {@link Watchdog}. */
export interface WatchdogOptions {
  readonly ttlMs: number;
  /** Subtracted from every deadline: clock drift between us and the server, timer lateness. */
  readonly driftMs: number;
  /** performance.now() when the request that granted the lease was sent. */
  readonly grantSentAt: number;
  readonly renew: Renew;
}

/** One lease's renewal loop and loss report. */
export class Watchdog {
  readonly #options: WatchdogOptions;
  #validUntil: number;
  #renewTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<LossReporter>();
  #lost: { state: string; detail: string } | undefined;
  #stopped = false;

  constructor(options: WatchdogOptions) {
    this.#options = options;
    this.#validUntil = options.grantSentAt + options.ttlMs - options.driftMs;
    // Nothing can expire before the first renewal is due (ttl/3 < ttl − drift): the expiry timer
    // is armed only while a renewal is outstanding, so a short hold costs one timer.
    this.#scheduleRenew(options.ttlMs / 3 - (performance.now() - options.grantSentAt));
  }

  /** The loss, once reported; or `EXPIRED` if our clock is past the deadline and no timer said so yet. */
  get lostState(): string | undefined {
    if (!this.#lost && !this.#stopped && performance.now() >= this.#validUntil) this.#expire();
    return this.#lost?.state;
  }

  /** ms of validity left by our clock (negative once past). */
  get remainingMs(): number {
    return this.#validUntil - performance.now();
  }

  /** Calls `lost` once on loss (at once if already lost); returns how to stop listening. */
  onLoss(lost: LossReporter): () => void {
    if (this.#lost) {
      lost(this.#lost.state, this.#lost.detail);
      return () => undefined;
    }
    this.#listeners.add(lost);
    return () => this.#listeners.delete(lost);
  }

  /** Stops renewing (the lease is being released). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#expiryTimer);
    this.#listeners.clear();
  }

  #report(state: string, detail: string): void {
    if (this.#lost || this.#stopped) return;
    this.#lost = { state, detail };
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#expiryTimer);
    for (const listener of [...this.#listeners]) listener(state, detail);
    this.#listeners.clear();
  }

  #expire(): void {
    this.#report('EXPIRED', `no renewal was confirmed before the lease's TTL of ${this.#options.ttlMs} ms could run out`);
  }

  #armExpiry(): void {
    clearTimeout(this.#expiryTimer);
    // Timers have millisecond granularity and may fire a fraction early: look again until the deadline.
    this.#expiryTimer = setTimeout(
      () => (performance.now() >= this.#validUntil ? this.#expire() : this.#armExpiry()),
      Math.max(0, this.#validUntil - performance.now()),
    );
    this.#expiryTimer.unref();
  }

  #scheduleRenew(delayMs: number): void {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = setTimeout(() => void this.#renewOnce(), Math.max(0, delayMs));
    this.#renewTimer.unref();
  }

  async #renewOnce(): Promise<void> {
    if (this.#stopped || this.#lost) return;
    const sentAt = performance.now();
    // A process paused past its deadline (GC, SIGSTOP) must not renew a lock it may have lost.
    if (sentAt >= this.#validUntil) return this.#expire();
    this.#armExpiry();
    let renewed: boolean;
    try {
      renewed = await this.#options.renew(Date.now() + (this.#validUntil - sentAt));
    } catch {
      // No answer (BUSY, a dead link): try again soon; the expiry timer reports loss if none gets through.
      if (!this.#stopped && !this.#lost) this.#scheduleRenew(Math.min(this.#options.ttlMs / 10, Math.max(0, this.remainingMs)));
      return;
    }
    if (this.#stopped || this.#lost) return;
    if (!renewed) return this.#report('NOT_OWNER', 'a renewal found the lock gone or held by another owner');
    this.#validUntil = sentAt + this.#options.ttlMs - this.#options.driftMs;
    clearTimeout(this.#expiryTimer);
    this.#scheduleRenew(this.#options.ttlMs / 3);
  }
}
