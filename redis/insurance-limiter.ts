/**
 * The insurance of a RedisRateLimiter (`insurance: { limit, windowMs }`): an in-process fixed
 * window used while Redis cannot answer, so an outage neither lets everything through (failOpen)
 * nor refuses everything. Per process: with N processes the fleet admits up to N × its limit —
 * size it for that. Bounded: past `maxKeys` the expired windows go, then the oldest.
 */
export class InsuranceLimiter {
  readonly #windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly maxKeys = 10_000,
  ) {}

  /** Decides one call of `cost` for `key` here (cost 0: a look, as if of cost 1, counting nothing). */
  decide(key: string, cost: number, now = Date.now()): { allowed: boolean; remaining: number; resetMs: number; retryAfterMs: number } {
    const peek = cost === 0;
    let window = this.#windows.get(key);
    if (!window || window.endsAt <= now) {
      this.#windows.delete(key);
      window = { count: 0, endsAt: now + this.windowMs };
      this.#windows.set(key, window);
      this.#bound(now);
    }
    const resetMs = window.endsAt - now;
    if (window.count + (peek ? 1 : cost) > this.limit)
      return { allowed: false, remaining: Math.max(0, this.limit - window.count), resetMs, retryAfterMs: resetMs };
    if (!peek) window.count += cost;
    return { allowed: true, remaining: this.limit - window.count, resetMs, retryAfterMs: 0 };
  }

  get size(): number {
    return this.#windows.size;
  }

  #bound(now: number): void {
    if (this.#windows.size <= this.maxKeys) return;
    for (const [key, window] of this.#windows) if (window.endsAt <= now) this.#windows.delete(key);
    for (const key of this.#windows.keys()) {
      if (this.#windows.size <= this.maxKeys) break;
      this.#windows.delete(key);
    }
  }
}
