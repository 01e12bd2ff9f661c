/**
 * Property tests (fast-check): random and hostile inputs — foreign node names, malformed suffixes —
 * never throw untyped errors, and the predicates never grant two exclusive holders.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidPathError, validatePath } from '../../recipes/index.js';
import { readPredicate } from '../../recipes/read-write-lock.js';
import { newProtectedPrefix, parseSequence, protectedUuidOf, sortBySequence } from '../../src/zookeeper/paths.js';
import { leasePredicate } from '../../src/zookeeper/sequential-queue.js';

const seq = fc.integer({ min: 0, max: 9_999_999_999 }).map((n) => String(n).padStart(10, '0'));
const uuid = fc.uuid();
const ourName = (kind: string) => fc.tuple(uuid, seq).map(([u, s]) => `_c_${u}-${kind}${s}`);
const foreign = fc.oneof(
  fc.string({ maxLength: 20 }).filter((s) => !s.includes('/') && s.length > 0),
  fc.tuple(fc.constantFrom('lock-', '__READ__', '__WRIT__', 'latch-'), fc.string({ maxLength: 12 })).map(([k, tail]) => `${k}${tail}`), // malformed suffix
);

describe('properties', () => {
  it('validatePath returns the path or throws InvalidPathError — nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.constantFrom('/', '//', '/.', '/a/..', '/a\u0000')), (path) => {
        try {
          expect(validatePath(path)).toBe(path);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidPathError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('protected names round-trip their uuid', () => {
    fc.assert(
      fc.property(fc.constantFrom('lock-', 'lease-', 'latch-', '__READ__', '__WRIT__'), seq, (kind, s) => {
        const prefix = newProtectedPrefix();
        expect(protectedUuidOf(`${prefix}${kind}${s}`)).toBe(prefix.slice(3, 39));
        expect(parseSequence(`${prefix}${kind}${s}`, [kind])).toBe(Number(s));
      }),
    );
  });

  it('sorting is a permutation: numbered nodes first in integer order, foreign ones after', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(ourName('lock-'), foreign), { maxLength: 30 }), (names) => {
        const sorted = sortBySequence(names, ['lock-']);
        expect([...sorted].sort()).toEqual([...names].sort());
        const seqs = sorted.map((n) => parseSequence(n, ['lock-']));
        const firstForeign = seqs.indexOf(undefined);
        if (firstForeign >= 0) expect(seqs.slice(firstForeign).every((x) => x === undefined)).toBe(true);
        const numbered = seqs.filter((x): x is number => x !== undefined);
        for (let i = 1; i < numbered.length; i++) expect(numbered[i]!).toBeGreaterThanOrEqual(numbered[i - 1]!);
      }),
    );
  });

  it('the mutex predicate grants exactly one holder; every waiter watches a node ahead of it', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(ourName('lock-'), foreign), { minLength: 1, maxLength: 30 }), (names) => {
        const sorted = sortBySequence(names, ['lock-']);
        const p = leasePredicate(1);
        const decisions = sorted.map((n) => p(sorted, n));
        expect(decisions.filter((d) => d.acquired)).toHaveLength(1);
        decisions.forEach((d, i) => {
          if (!d.acquired) expect(sorted.indexOf(d.watch)).toBeLessThan(i);
        });
      }),
    );
  });

  it('the semaphore predicate grants at most maxLeases', () => {
    fc.assert(
      fc.property(fc.uniqueArray(ourName('lease-'), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (names, max) => {
        const sorted = sortBySequence(names, ['lease-']);
        const granted = sorted.filter((n) => leasePredicate(max)(sorted, n).acquired);
        expect(granted.length).toBe(Math.min(max, sorted.length));
      }),
    );
  });

  it('read/write: a granted writer is alone; readers are granted only ahead of every writer', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(ourName('__READ__'), ourName('__WRIT__'), foreign), { minLength: 1, maxLength: 30 }), (names) => {
        const sortNames = ['__READ__', '__WRIT__'];
        const sorted = sortBySequence(names, sortNames);
        const firstWriter = sorted.findIndex((n) => n.includes('__WRIT__'));
        const granted = sorted.filter((n) => (n.includes('__WRIT__') ? leasePredicate(1)(sorted, n) : readPredicate()(sorted, n)).acquired);
        const writers = granted.filter((n) => n.includes('__WRIT__'));
        if (writers.length > 0) {
          expect(writers).toEqual([sorted[0]]);
          expect(granted.filter((n) => n.includes('__READ__'))).toEqual([]);
        }
        for (const r of granted.filter((n) => !n.includes('__WRIT__'))) {
          if (firstWriter >= 0) expect(sorted.indexOf(r)).toBeLessThan(firstWriter);
        }
      }),
    );
  });
});
