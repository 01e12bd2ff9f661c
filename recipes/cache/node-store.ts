/**
 * Where a cache keeps its nodes, compactly: a JavaScript object per node costs a cache of small
 * nodes about twice the memory of Curator's Java objects (a Stat alone is an object, three
 * BigInts and two boxed doubles). Here a node is a slot: the Stat's longs in one Float64Array, its
 * ints in one Int32Array, small data as bytes in one shared buffer (compacted when half of it is
 * garbage), decoded values by slot. `value()`/`stat()` build fresh copies — so no caller ever
 * holds something the store later changes. Arrays grow by a quarter, not double.
 */
import type { Stat } from '../../src/zookeeper/types.js';
import { NO_SESSION } from '../../src/zookeeper/session-id.js';

/** Per slot: czxid, mzxid, pzxid, ctime, mtime, byte offset (doubles: exact to 2^53). */
const LONGS = 6;
const OFFSET = 5;
/** Per slot: version, cversion, aversion, dataLength, numChildren, byte length (-1: none). */
const INTS = 6;
const LENGTH = 5;
/** Data at least this long keeps its own Buffer (no copy into the arena, none on every read). */
const OWN_BUFFER_BYTES = 1024;
/** zxids are stored as doubles: exact below 2^53 (an epoch below 2^21); wider ones keep their Stat. */
const EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const grow = (n: number) => Math.ceil(n * 1.25) + 64;

export class NodeStore<T> {
  /** Raw mode (no decode): the values are the bytes. */
  readonly #raw: boolean;
  #longs = new Float64Array(LONGS * 64);
  #ints = new Int32Array(INTS * 64);
  #capacity = 64;
  #bytes = Buffer.alloc(4096);
  #bytesUsed = 0;
  #bytesGarbage = 0;
  /** Decoded values by slot (decode mode). */
  readonly #decoded: (T | undefined)[] = [];
  /** Large data keeping their own Buffer, by slot (raw mode). */
  readonly #large = new Map<number, Buffer>();
  /** Owners of ephemeral nodes, by slot (any other node's is `0x0`). */
  readonly #owners = new Map<number, string>();
  /** Stats whose zxids a double cannot hold exactly, by slot (never seen in practice). */
  readonly #wide = new Map<number, Stat>();
  readonly #free: number[] = [];
  #slots = 0;

  constructor(raw: boolean) {
    this.#raw = raw;
  }

  /** A slot for a new node. */
  allocate(): number {
    const slot = this.#free.pop() ?? this.#slots++;
    if (slot >= this.#capacity) {
      const capacity = grow(this.#capacity);
      const longs = new Float64Array(LONGS * capacity);
      longs.set(this.#longs);
      const ints = new Int32Array(INTS * capacity);
      ints.set(this.#ints);
      this.#longs = longs;
      this.#ints = ints;
      this.#capacity = capacity;
    }
    this.#ints[slot * INTS + LENGTH] = -1;
    return slot;
  }

  /** Gives a slot back (its node left the cache). */
  release(slot: number): void {
    this.#dropBytes(slot);
    if (!this.#raw) this.#decoded[slot] = undefined;
    this.#owners.delete(slot);
    this.#wide.delete(slot);
    this.#free.push(slot);
  }

  /** The czxid and mzxid of a slot (as doubles), to compare with a read's. */
  czxid(slot: number): number {
    return this.#longs[slot * LONGS] as number;
  }
  mzxid(slot: number): number {
    return this.#longs[slot * LONGS + 1] as number;
  }

  /** Writes a node's Stat (and, when given, its value: decoded, or the bytes in raw mode). */
  write(slot: number, stat: Stat, value?: { decoded?: T; bytes?: Buffer }): void {
    const l = slot * LONGS;
    const i = slot * INTS;
    const longs = this.#longs;
    const ints = this.#ints;
    if (stat.czxid > EXACT || stat.mzxid > EXACT || stat.pzxid > EXACT) this.#wide.set(slot, stat);
    else this.#wide.delete(slot);
    longs[l] = Number(stat.czxid);
    longs[l + 1] = Number(stat.mzxid);
    longs[l + 2] = Number(stat.pzxid);
    longs[l + 3] = stat.ctime;
    longs[l + 4] = stat.mtime;
    ints[i] = stat.version;
    ints[i + 1] = stat.cversion;
    ints[i + 2] = stat.aversion;
    ints[i + 3] = stat.dataLength;
    ints[i + 4] = stat.numChildren;
    if (stat.ephemeralOwner === NO_SESSION) this.#owners.delete(slot);
    else this.#owners.set(slot, stat.ephemeralOwner);
    if (!value) return;
    if (!this.#raw) {
      this.#decoded[slot] = value.decoded;
      return;
    }
    const bytes = value.bytes ?? Buffer.alloc(0);
    this.#dropBytes(slot);
    if (bytes.length >= OWN_BUFFER_BYTES) {
      this.#large.set(slot, bytes);
      return;
    }
    if (this.#bytesUsed + bytes.length > this.#bytes.length) this.#makeRoom(bytes.length);
    bytes.copy(this.#bytes, this.#bytesUsed);
    this.#longs[l + OFFSET] = this.#bytesUsed;
    this.#ints[i + LENGTH] = bytes.length;
    this.#bytesUsed += bytes.length;
  }

  #dropBytes(slot: number): void {
    this.#large.delete(slot);
    const length = this.#ints[slot * INTS + LENGTH] as number;
    if (length > 0) this.#bytesGarbage += length;
    this.#ints[slot * INTS + LENGTH] = -1;
  }

  /** Compacts the byte arena (copying the live ranges) into one a quarter larger than needed. */
  #makeRoom(needed: number): void {
    const live = this.#bytesUsed - this.#bytesGarbage;
    const next = Buffer.allocUnsafe(Math.max(4096, grow(live + needed)));
    let used = 0;
    for (let slot = 0; slot < this.#slots; slot++) {
      const length = this.#ints[slot * INTS + LENGTH] as number;
      if (length <= 0) continue;
      const offset = this.#longs[slot * LONGS + OFFSET] as number;
      this.#bytes.copy(next, used, offset, offset + length);
      this.#longs[slot * LONGS + OFFSET] = used;
      used += length;
    }
    this.#bytes = next;
    this.#bytesUsed = used;
    this.#bytesGarbage = 0;
  }

  /** A fresh Stat for a slot. */
  stat(slot: number): Stat {
    const wide = this.#wide.get(slot);
    if (wide) return { ...wide };
    const l = slot * LONGS;
    const i = slot * INTS;
    const longs = this.#longs;
    const ints = this.#ints;
    return {
      czxid: BigInt(longs[l] as number),
      mzxid: BigInt(longs[l + 1] as number),
      pzxid: BigInt(longs[l + 2] as number),
      ctime: longs[l + 3] as number,
      mtime: longs[l + 4] as number,
      version: ints[i] as number,
      cversion: ints[i + 1] as number,
      aversion: ints[i + 2] as number,
      ephemeralOwner: this.#owners.get(slot) ?? NO_SESSION,
      dataLength: ints[i + 3] as number,
      numChildren: ints[i + 4] as number,
    };
  }

  /** A slot's value: the decoded value, or (raw mode) a copy of its bytes. */
  value(slot: number): T {
    if (!this.#raw) return this.#decoded[slot] as T;
    const large = this.#large.get(slot);
    if (large) return large as T;
    const length = this.#ints[slot * INTS + LENGTH] as number;
    if (length <= 0) return Buffer.alloc(0) as T;
    const offset = this.#longs[slot * LONGS + OFFSET] as number;
    return Buffer.from(this.#bytes.subarray(offset, offset + length)) as T;
  }

  /** Forgets everything. */
  clear(): void {
    this.#longs = new Float64Array(LONGS * 64);
    this.#ints = new Int32Array(INTS * 64);
    this.#capacity = 64;
    this.#bytes = Buffer.alloc(4096);
    this.#bytesUsed = 0;
    this.#bytesGarbage = 0;
    this.#decoded.length = 0;
    this.#large.clear();
    this.#owners.clear();
    this.#wide.clear();
    this.#free.length = 0;
    this.#slots = 0;
  }
}
