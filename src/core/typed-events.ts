/**
 * A small typed event emitter whose listeners can never break the emitter: a listener that
 * throws is reported to 'error' listeners (or, without one, as a process warning), and the other
 * listeners still run. Background recipes must never crash the process or reject unhandled.
 */

/** Event name → listener argument tuple. */
export type EventMap = Record<string, unknown[]>;

type Listener = (...args: never[]) => void;

function warn(error: unknown): void {
  process.emitWarning(
    `zk-recipes: unhandled error event (add an 'error' listener): ${error instanceof Error ? error.stack : String(error)}`,
  );
}

/** Typed events for recipes: `on`/`once`/`off`/`emit` with payload types from an event map. */
export class TypedEvents<M extends EventMap & { error: [error: unknown] }> {
  readonly #listeners = new Map<keyof M, Set<Listener>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M>(event: K, listener: (...args: M[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as unknown as Listener);
    return () => this.off(event, listener);
  }

  /** Adds a listener that runs once. */
  once<K extends keyof M>(event: K, listener: (...args: M[K]) => void): () => void {
    const off = this.on(event, (...args: M[K]) => {
      off();
      listener(...args);
    });
    return off;
  }

  /** Removes a listener. */
  off<K extends keyof M>(event: K, listener: (...args: M[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as unknown as Listener);
  }

  /** Listeners of one event, or of all. */
  listenerCount(event?: keyof M): number {
    if (event !== undefined) return this.#listeners.get(event)?.size ?? 0;
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  /** Removes every listener. */
  removeAllListeners(): void {
    this.#listeners.clear();
  }

  /** Calls every listener of `event`; a listener's throw never stops the others. */
  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) {
      if (event === 'error') warn(args[0]);
      return;
    }
    for (const listener of [...set]) {
      try {
        (listener as unknown as (...a: M[K]) => void)(...args);
      } catch (error) {
        if (event === 'error' || this.listenerCount('error') === 0) warn(error);
        else this.emit('error', ...([error] as unknown as M['error']));
      }
    }
  }
}
