/**
 * The persistent watches of one client (ZooKeeper 3.6+ `addWatch`), kept across connections and
 * sessions: the server forgets watches with the connection, so every new connection sets this
 * list again (setWatches2, session-handle.ts). Fans each notification out to the listeners whose
 * watch it matches, as the Java client does: a persistent watch gets every event of its own path
 * (child-list changes included), a recursive one the created/deleted/changed events of its path
 * and every path below it.
 */
import type { WatchEvent, WatchEventType } from './types.js';
import type { WireNotification } from './wire-watches.js';

/** Receives the events of one persistent watch (user paths). */
export type PersistentWatchListener = (event: WatchEvent) => void;

const EVENT_TYPES: Record<number, WatchEventType> = {
  1: 'NODE_CREATED',
  2: 'NODE_DELETED',
  3: 'NODE_DATA_CHANGED',
  4: 'NODE_CHILDREN_CHANGED',
};

/** One client's persistent watches, by wire path. */
export class PersistentWatches {
  readonly #exact = new Map<string, Set<PersistentWatchListener>>();
  readonly #recursive = new Map<string, Set<PersistentWatchListener>>();

  /** Adds a listener; returns its remover, which answers whether the path has no watch of ours left. */
  add(wirePath: string, recursive: boolean, listener: PersistentWatchListener): () => boolean {
    const table = recursive ? this.#recursive : this.#exact;
    let set = table.get(wirePath);
    if (!set) {
      set = new Set();
      table.set(wirePath, set);
    }
    set.add(listener);
    return () => {
      const current = table.get(wirePath);
      if (current?.delete(listener) && current.size === 0) table.delete(wirePath);
      return !this.#exact.has(wirePath) && !this.#recursive.has(wirePath);
    };
  }

  /** What a new connection must set again. */
  lists(): { persistent: string[]; persistentRecursive: string[] } {
    return { persistent: [...this.#exact.keys()], persistentRecursive: [...this.#recursive.keys()] };
  }

  /** Live listeners (for leak checks). */
  get size(): number {
    let n = 0;
    for (const set of this.#exact.values()) n += set.size;
    for (const set of this.#recursive.values()) n += set.size;
    return n;
  }

  /**
   * The listeners one notification reaches, each with the event in user paths; collected on the
   * socket's stack, called later by the caller (off the wire library's stack).
   */
  match(notification: WireNotification, toUser: (wirePath: string) => string): (() => void)[] {
    const type = EVENT_TYPES[notification.type];
    if (!type) return [];
    const wirePath = notification.path;
    const calls: (() => void)[] = [];
    let event: WatchEvent | undefined;
    const reach = (set: Set<PersistentWatchListener> | undefined) => {
      if (!set) return;
      event ??= { type, path: toUser(wirePath) };
      const payload = event;
      for (const listener of set) calls.push(() => listener(payload));
    };
    reach(this.#exact.get(wirePath));
    if (type !== 'NODE_CHILDREN_CHANGED' && this.#recursive.size > 0) {
      for (const [root, set] of this.#recursive) {
        if (wirePath === root || root === '/' || wirePath.startsWith(`${root}/`)) reach(set);
      }
    }
    return calls;
  }

  /** Forgets everything (the client closed). */
  clear(): void {
    this.#exact.clear();
    this.#recursive.clear();
  }
}
