/**
 * The in-memory block cache of a RedisRateLimiter with `blockMs` and `blockCache`: a key Redis has
 * said is blocked until T is refused here until T, with no Redis call. Bounded: past `max` keys the
 * expired ones go, then the oldest. A reset in another process does not reach this cache (the
 * block simply runs out here); a reset in this one clears it.
 */
export class BlockCache {
  readonly #until = new Map<string, number>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** ms left of `key`'s block, or 0 when it is not (or no longer) known to be blocked. */
  left(key: string, now = Date.now()): number {
    const until = this.#until.get(key);
    if (until === undefined) return 0;
    if (until <= now) {
      this.#until.delete(key);
      return 0;
    }
    return until - now;
  }

  block(key: string, ms: number, now = Date.now()): void {
    this.#until.delete(key); // re-inserted last: the Map's order is the eviction order
    this.#until.set(key, now + ms);
    if (this.#until.size <= this.#max) return;
    for (const [k, until] of this.#until) if (until <= now) this.#until.delete(k);
    for (const k of this.#until.keys()) {
      if (this.#until.size <= this.#max) break;
      this.#until.delete(k);
    }
  }

  forget(key: string): void {
    this.#until.delete(key);
  }

  get size(): number {
    return this.#until.size;
  }
}
