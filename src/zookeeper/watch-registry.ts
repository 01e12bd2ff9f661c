/**
 * Fans one wire-level watch per (kind, path) out to many one-shot listeners, so that a listener
 * can be removed on abort (the wire library cannot remove watchers) and nothing piles up.
 */
import type { WatchEvent, WatchEventType } from './types.js';

export type WatchKind = 'node' | 'children';
type Listener = (event: WatchEvent) => void;

export class WatchRegistry {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #dispatchers = new Map<string, (type: WatchEventType, path: string) => void>();

  /** The function to hand to the wire library for this kind and path; the same one every time. */
  dispatcherFor(kind: WatchKind, wirePath: string): (type: WatchEventType, path: string) => void {
    const key = `${kind}:${wirePath}`;
    let dispatcher = this.#dispatchers.get(key);
    if (!dispatcher) {
      dispatcher = (type, path) => {
        const set = this.#listeners.get(key);
        this.#listeners.delete(key);
        this.#dispatchers.delete(key);
        if (set) for (const listener of set) listener({ type, path });
      };
      this.#dispatchers.set(key, dispatcher);
    }
    return dispatcher;
  }

  /** Adds a one-shot listener; returns its remover. */
  add(kind: WatchKind, wirePath: string, listener: Listener): () => void {
    const key = `${kind}:${wirePath}`;
    let set = this.#listeners.get(key);
    if (!set) {
      set = new Set();
      this.#listeners.set(key, set);
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(key);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.#listeners.delete(key);
    };
  }

  /** Settles every listener with `type` (session gone or client closed) and forgets everything. */
  settleAll(type: WatchEventType, toUserPath: (wirePath: string) => string): void {
    const entries = [...this.#listeners.entries()];
    this.#listeners.clear();
    this.#dispatchers.clear();
    for (const [key, set] of entries) {
      const wirePath = key.slice(key.indexOf(':') + 1);
      for (const listener of set) listener({ type, path: toUserPath(wirePath) });
    }
  }

  /** Number of live listeners (for leak checks). */
  get size(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }
}
