import { describe, expect, it } from 'vitest';
import { readPredicate } from '../../recipes/read-write-lock.js';
import { sortBySequence } from '../../src/zookeeper/paths.js';
import { leasePredicate } from '../../src/zookeeper/sequential-queue.js';

const node = (kind: 'lock-' | '__READ__' | '__WRIT__', seq: number, uuid = 'aaaaaaaa-0000-4000-8000-000000000000') =>
  `_c_${uuid}-${kind}${String(seq).padStart(10, '0')}`;

describe('leasePredicate', () => {
  it('mutex: index 0 holds; everyone else watches exactly its predecessor', () => {
    const sorted = [node('lock-', 1), node('lock-', 4), node('lock-', 9)];
    const p = leasePredicate(1);
    expect(p(sorted, sorted[0]!)).toEqual({ acquired: true });
    expect(p(sorted, sorted[1]!)).toEqual({ acquired: false, watch: sorted[0] });
    expect(p(sorted, sorted[2]!)).toEqual({ acquired: false, watch: sorted[1] });
  });

  it('n leases: index < n holds; index i watches i - n', () => {
    const sorted = [0, 1, 2, 3, 4].map((i) => node('lock-', i));
    const p = leasePredicate(2);
    expect(p(sorted, sorted[1]!)).toEqual({ acquired: true });
    expect(p(sorted, sorted[4]!)).toEqual({ acquired: false, watch: sorted[2] });
  });
});

describe('readPredicate', () => {
  const names = ['__READ__', '__WRIT__'];

  it('a reader holds when no writer is ahead of it', () => {
    const sorted = sortBySequence([node('__READ__', 0), node('__READ__', 1), node('__WRIT__', 2)], names);
    expect(readPredicate()(sorted, node('__READ__', 1))).toEqual({ acquired: true });
  });

  it('a reader behind writers watches the nearest writer ahead of it, never a reader', () => {
    const sorted = sortBySequence(
      [node('__WRIT__', 0), node('__READ__', 1), node('__WRIT__', 2), node('__READ__', 3), node('__READ__', 4)],
      names,
    );
    expect(readPredicate()(sorted, node('__READ__', 4))).toEqual({ acquired: false, watch: node('__WRIT__', 2) });
    expect(readPredicate()(sorted, node('__READ__', 1))).toEqual({ acquired: false, watch: node('__WRIT__', 0) });
  });

  it("a writer watches its immediate predecessor of either kind (Curator's write lock)", () => {
    const sorted = sortBySequence([node('__READ__', 0), node('__READ__', 1), node('__WRIT__', 2)], names);
    expect(leasePredicate(1)(sorted, node('__WRIT__', 2))).toEqual({ acquired: false, watch: node('__READ__', 1) });
  });

  it("sorts Curator 5.5+'s non-sequential downgrade read node with the writer, and a later reader still waits", () => {
    const downgrade = node('__READ__', 5, 'bbbbbbbb-0000-4000-8000-000000000000'); // EPHEMERAL, named after the writer's sequence
    const sorted = sortBySequence([node('__READ__', 8), downgrade, node('__WRIT__', 5)], names);
    expect(sorted.indexOf(node('__READ__', 8))).toBe(2);
    expect(readPredicate()(sorted, node('__READ__', 8))).toEqual({ acquired: false, watch: node('__WRIT__', 5) });
  });
});
