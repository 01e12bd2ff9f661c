/**
 * The background reads of a cache: at most `limit` at once (a load of 100,000 nodes must not put
 * 100,000 requests in flight), numbered as they are spawned, so that sync() can wait for the
 * reads begun before a point without waiting for those that later writes keep starting.
 */
export class TaskGroup {
  readonly #limit: number;
  readonly #onError: (error: unknown) => void;
  /** Tasks waiting for a slot, taken from `#head` on (shift() would copy the array each time). */
  #queued: (() => void)[] = [];
  #head = 0;
  readonly #unfinished = new Set<number>();
  #active = 0;
  #spawned = 0;
  /** Every task numbered below this one has finished. */
  #low = 1;
  #waiters: { mark: number; resolve: () => void }[] = [];

  constructor(limit: number, onError: (error: unknown) => void) {
    this.#limit = limit;
    this.#onError = onError;
  }

  /** Runs `task` now or once a slot frees. */
  spawn(task: () => Promise<void>): void {
    const id = ++this.#spawned;
    this.#unfinished.add(id);
    const run = () => {
      this.#active++;
      task().then(
        () => this.#done(id),
        (error: unknown) => {
          this.#onError(error);
          this.#done(id);
        },
      );
    };
    if (this.#active < this.#limit) run();
    else this.#queued.push(run);
  }

  #done(id: number): void {
    this.#active--;
    this.#unfinished.delete(id);
    if (this.#head < this.#queued.length) {
      const next = this.#queued[this.#head] as () => void;
      this.#queued[this.#head++] = undefined as unknown as () => void;
      if (this.#head === this.#queued.length) {
        this.#queued = [];
        this.#head = 0;
      }
      next();
    }
    while (this.#low <= this.#spawned && !this.#unfinished.has(this.#low)) this.#low++;
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((w) => w.mark < this.#low);
    this.#waiters = this.#waiters.filter((w) => w.mark >= this.#low);
    for (const w of ready) w.resolve();
  }

  /** The number of the last task spawned: a mark for {@link finishedUpTo}. */
  get mark(): number {
    return this.#spawned;
  }

  /** Tasks spawned and not finished. */
  get pending(): number {
    return this.#unfinished.size;
  }

  /** Resolves once every task numbered up to `mark` has finished. */
  finishedUpTo(mark: number): Promise<void> {
    if (mark < this.#low) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ mark, resolve }));
  }
}
