/**
 * One timer for every request deadline of a client, instead of a setTimeout per request. Request
 * deadlines mostly grow in the order requests are made (one operation timeout for all), so an
 * added deadline is almost never earlier than the armed one: the timer is re-armed about once
 * per operation timeout, not once per request. Unref'd: an idle client does not keep the process
 * alive (a request in flight has its socket for that).
 */
interface Entry {
  readonly at: number;
  readonly onExpire: () => void;
}

export class DeadlineTimer {
  readonly #entries = new Set<Entry>();
  #timer: NodeJS.Timeout | undefined;
  #armedAt = Number.POSITIVE_INFINITY;

  /** Calls `onExpire` once `timeoutMs` have passed, unless the returned remover is called first. */
  add(timeoutMs: number, onExpire: () => void): () => void {
    return this.addAt(Date.now() + timeoutMs, onExpire);
  }

  /** Calls `onExpire` at epoch ms `at`, unless the returned remover is called first. */
  addAt(at: number, onExpire: () => void): () => void {
    const entry: Entry = { at, onExpire };
    this.#entries.add(entry);
    if (entry.at < this.#armedAt) this.#arm(entry.at);
    return () => {
      this.#entries.delete(entry);
    };
  }

  /** Entries waiting (for leak checks). */
  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every entry without calling it, and stops the timer. */
  clear(): void {
    this.#entries.clear();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - Date.now()));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const entry of [...this.#entries]) {
      if (entry.at <= now) {
        this.#entries.delete(entry);
        entry.onExpire();
      } else if (entry.at < next) next = entry.at;
    }
    if (next < Number.POSITIVE_INFINITY) this.#arm(next);
  }
}
