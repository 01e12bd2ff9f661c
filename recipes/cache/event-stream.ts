/**
 * An async iterator over pushed items, for recipes whose events users may prefer to `for await`:
 * items are buffered only while an iterator is open; it ends when the source closes and rejects
 * with the signal's reason when its signal aborts, leaving no listener behind.
 */
export class EventStream<T> {
  readonly #iterators = new Set<(item: T | typeof END) => void>();

  /** Hands an item to every open iterator. */
  push(item: T): void {
    for (const deliver of this.#iterators) deliver(item);
  }

  /** Ends every open iterator (the source closed). */
  end(): void {
    for (const deliver of [...this.#iterators]) deliver(END);
  }

  /** Open iterators (for leak checks). */
  get size(): number {
    return this.#iterators.size;
  }

  /** A new iterator; `signal` ends it with the signal's reason. */
  iterate(signal?: AbortSignal, closed = false): AsyncIterableIterator<T> {
    const buffered: (T | typeof END)[] = closed ? [END] : [];
    let wake: (() => void) | undefined;
    let failure: { reason: unknown } | undefined;
    const deliver = (item: T | typeof END) => {
      buffered.push(item);
      wake?.();
    };
    const onAbort = () => {
      failure = { reason: signal?.reason };
      wake?.();
    };
    const finish = () => {
      this.#iterators.delete(deliver);
      signal?.removeEventListener('abort', onAbort);
    };
    if (!closed) this.#iterators.add(deliver);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const iterator: AsyncIterableIterator<T> = {
      next: async (): Promise<IteratorResult<T>> => {
        while (buffered.length === 0 && !failure) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (failure) {
          finish();
          throw failure.reason;
        }
        const item = buffered.shift() as T | typeof END;
        if (item === END) {
          finish();
          return { done: true, value: undefined };
        }
        return { done: false, value: item };
      },
      return: async (): Promise<IteratorResult<T>> => {
        finish();
        buffered.length = 0;
        buffered.push(END);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}

const END: unique symbol = Symbol('end');
