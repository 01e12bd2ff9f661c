/**
 * SharedCount: an int32 every participant sees, Curator's format (4-byte big-endian, persistent
 * node). Usable as the `count` (maxLeases source) of InterProcessSemaphoreV2.
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { ConnectionState } from '../src/zookeeper/connection-state.js';
import { BadVersionError, CorruptDataError, InvalidArgumentError, NodeExistsError } from '../src/core/errors.js';
import { validatePath } from '../src/zookeeper/paths.js';
import { TypedEvents } from '../src/core/typed-events.js';
import { backoff, isClosed } from './leader-latch.js';
import type { SharedCountReader } from './semaphore.js';
import { describeValue } from '../src/core/options.js';

/** A value with the node version it was read at, for {@link SharedCount.trySetCount}. */
export interface VersionedValue {
  readonly value: number;
  readonly version: number;
}

/** Events of a {@link SharedCount}. */
export interface SharedCountEvents {
  [event: string]: unknown[];
  /** The count changed (or was first read). */
  change: [count: number];
  /** A background read failed; the count keeps its last value and is read again on reconnect. */
  error: [error: unknown];
}

function checkInt32(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
    throw new InvalidArgumentError(`${name} must be a 32-bit integer, got ${describeValue(value)}.`);
  }
  return value;
}

function encode(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value, 0);
  return buffer;
}

/**
 * ```ts
 * const limit = new SharedCount(client, '/config/encoder-seats', 2);
 * await limit.start();
 * const seats = new InterProcessSemaphoreV2(client, '/semaphores/encoder', { count: limit });
 * await limit.setCount(4); // every participant's semaphore admits more at once
 * ```
 */
export class SharedCount implements SharedCountReader, AsyncDisposable {
  readonly client: ZkClient;
  readonly path: string;
  readonly #seed: number;
  readonly #events = new TypedEvents<SharedCountEvents>();
  #current: VersionedValue | undefined;
  #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(client: ZkClient, path: string, seed: number) {
    if (!client || typeof client.getData !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    this.client = client;
    this.path = validatePath(path);
    this.#seed = checkInt32('seed', seed);
  }

  /** Creates the node with the seed if missing, reads it, and keeps following changes. */
  async start(): Promise<void> {
    if (this.#loop) throw new InvalidArgumentError(`SharedCount on ${this.path} was already started.`);
    await this.client.create(this.path, encode(this.#seed), { createParents: true }).catch((error: unknown) => {
      if (!(error instanceof NodeExistsError)) throw error;
    });
    await this.#read(); // a failing first read fails start()
    this.#loop = this.#follow();
  }

  /** The last value read. */
  getCount(): number {
    return this.getVersionedValue().value;
  }

  /** The last value read with its version. */
  getVersionedValue(): VersionedValue {
    if (!this.#current) throw new InvalidArgumentError(`SharedCount on ${this.path} is not started: await start() first.`);
    return this.#current;
  }

  /** Sets the count unconditionally. */
  async setCount(value: number): Promise<void> {
    checkInt32('value', value);
    const stat = await this.client.setData(this.path, encode(value));
    this.#update({ value, version: stat.version });
  }

  /** Sets the count only if nobody changed it since `previous` was read; false (and a fresh read) otherwise. */
  async trySetCount(previous: VersionedValue, value: number): Promise<boolean> {
    checkInt32('value', value);
    try {
      const stat = await this.client.setData(this.path, encode(value), { version: previous.version });
      this.#update({ value, version: stat.version });
      return true;
    } catch (error) {
      if (!(error instanceof BadVersionError)) throw error;
      await this.#read();
      return false;
    }
  }

  /** Subscribes to changes (the SharedCountReader contract); returns an unsubscribe function. */
  onChange(listener: (count: number) => void): () => void {
    return this.#events.on('change', listener);
  }

  /** Subscribes to `change` or `error`. */
  on<K extends keyof SharedCountEvents>(event: K, listener: (...args: SharedCountEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Values as they change, the current one first, until `signal` aborts or the count is closed. */
  async *changes(options: { signal?: AbortSignal } = {}): AsyncGenerator<number> {
    const queue: number[] = this.#current ? [this.#current.value] : [];
    let wake: (() => void) | undefined;
    const off = this.#events.on('change', (v) => {
      queue.push(v);
      wake?.();
    });
    const stop = () => wake?.();
    options.signal?.addEventListener('abort', stop, { once: true });
    this.#stop.signal.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift() as number;
        if (options.signal?.aborted || this.#stop.signal.aborted) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      off();
      options.signal?.removeEventListener('abort', stop);
      this.#stop.signal.removeEventListener('abort', stop);
    }
  }

  /** Stops following changes. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /** `await using count = ...`: closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #update(next: VersionedValue): void {
    // Versions only grow: never go back to an older read that arrives late.
    if (this.#current && next.version <= this.#current.version) return;
    const changed = this.#current?.value !== next.value;
    this.#current = next;
    if (changed) this.#events.emit('change', next.value);
  }

  async #read(): Promise<void> {
    const { data, stat } = await this.client.getData(this.path);
    if (data.length !== 4) throw new CorruptDataError(this.path, '4 bytes (int32, big-endian)', data.length);
    this.#update({ value: data.readInt32BE(0), version: stat.version });
  }

  async #follow(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted && this.client.state !== ConnectionState.CLOSED) {
      try {
        const watched = await this.client.watchData(this.path, { signal });
        if (watched.value.data.length !== 4)
          throw new CorruptDataError(this.path, '4 bytes (int32, big-endian)', watched.value.data.length);
        this.#update({ value: watched.value.data.readInt32BE(0), version: watched.value.stat.version });
        await watched.changed;
      } catch (error) {
        if (signal.aborted || isClosed(this.client)) break;
        this.#events.emit('error', error);
        await backoff(200, signal);
      }
    }
  }
}
