/**
 * Subpath exports keep backends apart: the package root (ZooKeeper) never loads Redis code or the
 * `redis` package, and `zk-recipes/redis` never loads node-zookeeper-client. Checked on the import
 * graph of the sources, file by file.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every file reachable from `entry` by static or dynamic imports, and the bare packages they import. */
function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = (m[1] ?? m[2]) as string;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:'))
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
    }
  };
  visit(join(root, entry));
  return { files, packages };
}

describe('entry points', () => {
  it('the package root loads no Redis code', () => {
    const { files, packages } = graph('recipes/index.ts');
    expect([...files].map((f) => relative(root, f)).filter((f) => f.startsWith('redis/'))).toEqual([]);
    expect([...packages]).not.toContain('redis');
    expect([...packages]).toContain('node-zookeeper-client');
  });

  it('the package root loads no PostgreSQL code, and zk-recipes/redis none either', () => {
    for (const entry of ['recipes/index.ts', 'redis/index.ts']) {
      const { files, packages } = graph(entry);
      expect([...files].map((f) => relative(root, f)).filter((f) => f.startsWith('postgres/'))).toEqual([]);
      expect([...packages]).not.toContain('pg');
    }
  });

  it('zk-recipes/postgres loads no ZooKeeper or Redis code and imports no client package', () => {
    const { files, packages } = graph('postgres/index.ts');
    const loaded = [...files].map((f) => relative(root, f));
    expect(loaded.filter((f) => f.startsWith('src/zookeeper/'))).toEqual([]); // not a file of the ZooKeeper room
    expect(loaded.filter((f) => f.startsWith('recipes/') || f.startsWith('redis/'))).toEqual([]);
    expect([...packages]).toEqual([]); // the user's pg pool is passed in, never imported
  });

  it('zk-recipes/redis loads no ZooKeeper code', () => {
    const { files, packages } = graph('redis/index.ts');
    const loaded = [...files].map((f) => relative(root, f));
    expect(loaded.filter((f) => f.startsWith('src/zookeeper/'))).toEqual([]); // not a file of the ZooKeeper room
    expect(loaded.filter((f) => f.startsWith('recipes/'))).toEqual([]);
    expect([...packages]).toEqual([]); // the user's redis client is passed in, never imported
  });
});
