/** The cache's compact node store: Stats and bytes in shared arenas, snapshots that never alias them. */
import { describe, expect, it } from 'vitest';
import { NodeStore } from '../../recipes/cache/node-store.js';
import type { Stat } from '../../src/zookeeper/types.js';

const stat = (n: number, extra: Partial<Stat> = {}): Stat => ({
  czxid: 0x100000000n + BigInt(n),
  mzxid: 0x100000000n + BigInt(n) + 1n,
  pzxid: 0x100000000n + BigInt(n) + 2n,
  ctime: 1_764_700_000_000 + n,
  mtime: 1_764_700_000_001 + n,
  version: n % 7,
  cversion: 1,
  aversion: 0,
  ephemeralOwner: '0x0',
  dataLength: 3,
  numChildren: 0,
  ...extra,
});

describe('NodeStore', () => {
  it('gives back exactly the Stat and bytes written; snapshots are copies', () => {
    const store = new NodeStore<Buffer>(true);
    const slot = store.allocate();
    store.write(slot, stat(5, { ephemeralOwner: '0x10000a3c2f70001' }), { bytes: Buffer.from('abc') });
    expect(store.stat(slot)).toEqual(stat(5, { ephemeralOwner: '0x10000a3c2f70001' }));
    const data = store.value(slot);
    expect(data.toString()).toBe('abc');
    data[0] = 0x7a; // a caller's change never reaches the store
    expect(store.value(slot).toString()).toBe('abc');
    store.write(slot, stat(6)); // Stat only: the bytes stay
    expect(store.value(slot).toString()).toBe('abc');
    expect(store.stat(slot).ephemeralOwner).toBe('0x0');
  });

  it('survives many rewrites and releases (the byte arena compacts) and reuses freed slots', () => {
    const store = new NodeStore<Buffer>(true);
    const slots = Array.from({ length: 500 }, () => store.allocate());
    for (let round = 0; round < 20; round++) {
      for (const [i, slot] of slots.entries()) store.write(slot, stat(i), { bytes: Buffer.from(`r${round}-n${i}-${'x'.repeat(i % 40)}`) });
    }
    for (const [i, slot] of slots.entries()) expect(store.value(slot).toString()).toBe(`r19-n${i}-${'x'.repeat(i % 40)}`);
    store.release(slots[3] as number);
    expect(store.allocate()).toBe(slots[3]);
    const big = Buffer.alloc(5000, 1);
    store.write(slots[0] as number, stat(0), { bytes: big });
    expect(store.value(slots[0] as number).length).toBe(5000);
    store.write(slots[1] as number, stat(1), { bytes: Buffer.alloc(0) });
    expect(store.value(slots[1] as number).length).toBe(0);
  });

  it('zxids beyond 2^53 are kept exactly; decoded values are held as given', () => {
    const wide = new NodeStore<{ v: number }>(false);
    const slot = wide.allocate();
    const huge = stat(1, { czxid: 2n ** 60n + 1n, mzxid: 2n ** 60n + 3n });
    wide.write(slot, huge, { decoded: { v: 1 } });
    expect(wide.stat(slot)).toEqual(huge);
    expect(wide.value(slot)).toEqual({ v: 1 });
  });
});
