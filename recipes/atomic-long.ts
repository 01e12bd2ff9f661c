/**
 * DistributedAtomicLong: a 64-bit counter with optimistic, version-checked updates, Curator's
 * format (8-byte big-endian), optionally promoted to an InterProcessMutex under contention
 * (Curator's PromotedToLock). Values are `bigint`.
 */
import type { ZkClient } from '../src/zookeeper/client.js';
import { BadVersionError, CorruptDataError, InvalidArgumentError, NodeExistsError, NoNodeError } from '../src/core/errors.js';
import { validatePath } from '../src/zookeeper/paths.js';
import { type RetryPolicy, resolveRetryPolicy } from '../src/zookeeper/retry.js';
import { InterProcessMutex } from './mutex.js';
import { checkOptionKeys, type OptionKeys } from '../src/core/options.js';
import { describeValue } from '../src/core/options.js';

/** The outcome of an update: check `succeeded` (contention can defeat every retry). */
export interface AtomicValue {
  readonly succeeded: boolean;
  readonly preValue: bigint;
  readonly postValue: bigint;
}

/** Options of {@link DistributedAtomicLong}. */
export interface AtomicLongOptions {
  /** Optimistic attempts. @default { maxRetries: 10, baseSleepMs: 10, maxSleepMs: 200 } */
  readonly retry?: Partial<RetryPolicy>;
  /** After optimistic attempts fail, take this mutex and try again (Curator's PromotedToLock). */
  readonly promotedToLock?: { readonly path: string; readonly timeoutMs?: number; readonly retries?: number };
}

const ATOMIC_LONG_OPTION_KEYS: OptionKeys<AtomicLongOptions> = { retry: true, promotedToLock: true };
const PROMOTED_KEYS: OptionKeys<NonNullable<AtomicLongOptions['promotedToLock']>> = { path: true, timeoutMs: true, retries: true };

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

function checkLong(name: string, value: unknown): bigint {
  if (typeof value !== 'bigint' || value < MIN || value > MAX)
    throw new InvalidArgumentError(`${name} must be a bigint within the signed 64-bit range, got ${describeValue(value)}.`);
  return value;
}

function encode(value: bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(value, 0);
  return buffer;
}

/**
 * ```ts
 * const hits = new DistributedAtomicLong(client, '/counters/hits');
 * const result = await hits.increment();
 * if (result.succeeded) console.log(`now ${result.postValue}`);
 * ```
 */
export class DistributedAtomicLong {
  readonly client: ZkClient;
  readonly path: string;
  readonly #retry: RetryPolicy;
  readonly #promoted: { mutex: InterProcessMutex; timeoutMs: number | undefined; retries: number } | undefined;

  constructor(client: ZkClient, path: string, options: AtomicLongOptions = {}) {
    if (!client || typeof client.getData !== 'function') throw new InvalidArgumentError('client must be a ZkClient.');
    this.client = client;
    this.path = validatePath(path);
    checkOptionKeys('DistributedAtomicLong options', options, ATOMIC_LONG_OPTION_KEYS);
    this.#retry = resolveRetryPolicy(options.retry, { maxRetries: 10, baseSleepMs: 10, maxSleepMs: 200 });
    const p = options.promotedToLock;
    checkOptionKeys('promotedToLock', p, PROMOTED_KEYS);
    this.#promoted = p ? { mutex: new InterProcessMutex(client, p.path), timeoutMs: p.timeoutMs, retries: p.retries ?? 0 } : undefined;
  }

  /** The current value (0 when the node does not exist yet). */
  async get(): Promise<AtomicValue> {
    const { value } = await this.#read();
    return { succeeded: true, preValue: value, postValue: value };
  }

  /** Adds 1. */
  increment(): Promise<AtomicValue> {
    return this.add(1n);
  }

  /** Subtracts 1. */
  decrement(): Promise<AtomicValue> {
    return this.add(-1n);
  }

  /** Adds `delta` (may be negative). */
  async add(delta: bigint): Promise<AtomicValue> {
    checkLong('delta', delta);
    return this.#update((current) => current + delta);
  }

  /** Sets `value` if the current value is `expected`, in one versioned write (no retries). */
  async compareAndSet(expected: bigint, value: bigint): Promise<AtomicValue> {
    checkLong('expected', expected);
    checkLong('value', value);
    const current = await this.#read();
    if (current.value !== expected) return { succeeded: false, preValue: current.value, postValue: current.value };
    const ok = await this.#tryWrite(current, value);
    return { succeeded: ok, preValue: current.value, postValue: ok ? value : current.value };
  }

  /** Sets `value` with the optimistic retries (and the promoted lock, if configured). */
  async trySet(value: bigint): Promise<AtomicValue> {
    checkLong('value', value);
    return this.#update(() => value);
  }

  /** Sets `value` unconditionally. */
  async forceSet(value: bigint): Promise<void> {
    checkLong('value', value);
    try {
      await this.client.setData(this.path, encode(value));
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      await this.client.create(this.path, encode(value), { createParents: true }).catch(async (e: unknown) => {
        if (!(e instanceof NodeExistsError)) throw e;
        await this.client.setData(this.path, encode(value));
      });
    }
  }

  async #read(): Promise<{ value: bigint; version: number | undefined }> {
    try {
      const { data, stat } = await this.client.getData(this.path);
      if (data.length === 0) return { value: 0n, version: stat.version };
      if (data.length < 8) throw new CorruptDataError(this.path, '8 bytes (int64, big-endian)', data.length);
      return { value: data.readBigInt64BE(0), version: stat.version };
    } catch (error) {
      if (error instanceof NoNodeError) return { value: 0n, version: undefined };
      throw error;
    }
  }

  /** One optimistic write against what we read: create if absent, else a versioned setData. */
  async #tryWrite(current: { version: number | undefined }, value: bigint): Promise<boolean> {
    try {
      if (current.version === undefined) await this.client.create(this.path, encode(value), { createParents: true });
      else await this.client.setData(this.path, encode(value), { version: current.version });
      return true;
    } catch (error) {
      if (error instanceof BadVersionError || error instanceof NodeExistsError || error instanceof NoNodeError) return false;
      throw error;
    }
  }

  async #attempts(next: (current: bigint) => bigint, attempts: number): Promise<AtomicValue | undefined> {
    for (let i = 0; i < attempts; i++) {
      const current = await this.#read();
      const value = next(current.value);
      checkLong('result', value);
      if (await this.#tryWrite(current, value)) return { succeeded: true, preValue: current.value, postValue: value };
      const sleep = Math.min(this.#retry.maxSleepMs, this.#retry.baseSleepMs * 2 ** i) * Math.random();
      await new Promise((r) => setTimeout(r, sleep));
    }
    return undefined;
  }

  async #update(next: (current: bigint) => bigint): Promise<AtomicValue> {
    const optimistic = await this.#attempts(next, this.#retry.maxRetries + 1);
    if (optimistic) return optimistic;
    if (this.#promoted) {
      const lease = await this.#promoted.mutex.acquire({ timeoutMs: this.#promoted.timeoutMs }).catch(() => undefined);
      if (lease) {
        try {
          const locked = await this.#attempts(next, this.#promoted.retries + 1);
          if (locked) return locked;
        } finally {
          await lease.release();
        }
      }
    }
    const { value } = await this.#read();
    return { succeeded: false, preValue: value, postValue: value };
  }
}
