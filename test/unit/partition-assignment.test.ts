/**
 * The WorkPartitioner's assignment, as pure functions: balanced, deterministic, and sticky — a
 * membership change moves no more partitions than balance needs.
 */
import { describe, expect, it } from 'vitest';
import { decodeAssignment, encodeAssignment, minimumMoves, moved, rebalance } from '../../recipes/partition/assignment.js';

const partitions = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);
const loads = (assignment: Map<string, string>) => {
  const counts = new Map<string, number>();
  for (const owner of assignment.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
};

describe('rebalance', () => {
  it('gives every partition one owner, shares differing by at most one, the same wherever computed', () => {
    const parts = partitions(64);
    const first = rebalance(new Map(), ['w3', 'w1', 'w5', 'w2', 'w4'], parts);
    expect(first.size).toBe(64);
    const counts = [...loads(first).values()];
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((a, b) => a + b)).toBe(64);
    expect(rebalance(new Map(), ['w1', 'w2', 'w3', 'w4', 'w5'], parts)).toEqual(first); // order of members does not matter
  });

  it('moves exactly the minimum when a member leaves or joins, over a long random history', () => {
    const parts = partitions(64);
    let members = ['w0', 'w1', 'w2', 'w3', 'w4'];
    let current = rebalance(new Map(), members, parts);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let step = 0; step < 300; step++) {
      const leave = members.length > 1 && (members.length > 8 || random() < 0.5);
      const gone = Math.floor(random() * members.length);
      members = leave ? members.filter((_, i) => i !== gone) : [...members, `n${step}`];
      const next = rebalance(current, members, parts);
      expect(moved(current, next).length).toBe(minimumMoves(current, members, parts));
      const counts = [...loads(next).values()];
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expect(rebalance(next, members, parts)).toEqual(next); // stable: nothing moves without a change
      current = next;
    }
  });

  it('a departed member’s partitions are all that move; with no members nothing is owned', () => {
    const parts = partitions(10);
    const before = rebalance(new Map(), ['a', 'b', 'c'], parts);
    const after = rebalance(before, ['a', 'b'], parts);
    expect(moved(before, after).sort()).toEqual(parts.filter((p) => before.get(p) === 'c').sort());
    expect(rebalance(before, [], parts).size).toBe(0);
  });

  it('stored form round-trips; anything else reads as no assignment', () => {
    const a = rebalance(new Map(), ['a', 'b'], partitions(5));
    expect(decodeAssignment(encodeAssignment(a))).toEqual(a);
    expect(decodeAssignment(Buffer.from('not json'))).toBeUndefined();
    expect(decodeAssignment(Buffer.from('{"version":2,"owners":{}}'))).toBeUndefined();
  });
});
