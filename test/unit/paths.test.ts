import { describe, expect, it } from 'vitest';
import { InvalidPathError, joinPath, parentOf, validatePath } from '../../src/index.js';
import { newProtectedPrefix, nodeNameOf, parseSequence, protectedUuidOf, sortBySequence } from '../../src/zookeeper/paths.js';

describe('validatePath', () => {
  it.each([
    ['', 'empty'],
    ['a/b', "start with '/'"],
    ['/a/', "end with '/'"],
    ['/a//b', 'empty segment'],
    ['/a/./b', "relative segment '.'"],
    ['/a/../b', "relative segment '..'"],
    ['/a\u0000b', 'NUL'],
    ['/a\u0001b', 'U+0001'],
    ['/a\u007fb', 'U+007F'],
    ['/a\ud800b', 'U+D800'],
    ['/a\ufff0b', 'U+FFF0'],
  ])('rejects %j (%s)', (path, rule) => {
    expect(() => validatePath(path)).toThrow(InvalidPathError);
    expect(() => validatePath(path)).toThrow(rule);
  });

  it.each([[undefined], [null], [42], [{}]])('rejects non-string %j', (path) => {
    expect(() => validatePath(path)).toThrow(/must be a string/);
  });

  it.each([['/'], ['/a'], ['/a/b-c_d.e'], ['/a/..b'], ['/zk/é']])('accepts %j', (path) => {
    expect(validatePath(path)).toBe(path);
  });

  it('names the path and the rule in the message, with a code', () => {
    const error = (() => {
      try {
        validatePath('/x//y');
      } catch (e) {
        return e as InvalidPathError;
      }
    })();
    expect(error?.code).toBe('INVALID_PATH');
    expect(error?.message).toContain('"/x//y"');
  });
});

describe('path helpers', () => {
  it('joins, splits and names', () => {
    expect(joinPath('/', 'a')).toBe('/a');
    expect(joinPath('/a', 'b')).toBe('/a/b');
    expect(parentOf('/a/b')).toBe('/a');
    expect(parentOf('/a')).toBe('/');
    expect(nodeNameOf('/a/b')).toBe('b');
  });

  it("makes Curator's protected prefix: _c_ + 36-char uuid + '-'", () => {
    const prefix = newProtectedPrefix();
    expect(prefix).toMatch(/^_c_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-$/);
    expect(prefix).toHaveLength(40);
    expect(protectedUuidOf(`${prefix}lock-0000000001`)).toBe(prefix.slice(3, 39));
    expect(protectedUuidOf('lock-0000000001')).toBeUndefined();
  });
});

describe('sequence parsing and sorting', () => {
  it('parses the integer after the last occurrence of the name', () => {
    expect(parseSequence('_c_0b7e2f7a-1111-4222-8333-444455556666-lock-0000000042', ['lock-'])).toBe(42);
    expect(parseSequence('lock-lock-0000000007', ['lock-'])).toBe(7);
    expect(parseSequence('foreign', ['lock-'])).toBeUndefined();
    expect(parseSequence('x-__READ__0000000003', ['__READ__', '__WRIT__'])).toBe(3);
  });

  it('sorts by integer sequence, ignoring prefixes, with foreign nodes last', () => {
    const names = [
      '_c_aaaaaaaa-0000-4000-8000-000000000000-lock-0000000010',
      'lock-0000000002',
      'zzz-foreign',
      '_c_bbbbbbbb-0000-4000-8000-000000000000-lock-0000000001',
      'abc',
    ];
    expect(sortBySequence(names, ['lock-'])).toEqual([
      '_c_bbbbbbbb-0000-4000-8000-000000000000-lock-0000000001',
      'lock-0000000002',
      '_c_aaaaaaaa-0000-4000-8000-000000000000-lock-0000000010',
      'abc',
      'zzz-foreign',
    ]);
  });

  it('interleaves read and write nodes by sequence, including non-sequential downgrade nodes', () => {
    const sorted = sortBySequence(
      ['r-__READ__0000000003', 'w-__WRIT__0000000000', 'r-__READ__0000000001', 'd-__READ__0000000000'],
      ['__READ__', '__WRIT__'],
    );
    expect(sorted.map((n) => n.slice(0, 1))).toEqual(['w', 'd', 'r', 'r']);
  });
});
