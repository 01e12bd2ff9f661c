/**
 * Every example and the demo run green, so they cannot rot. They use the shared server
 * (ZK_CONNECT_STRING) instead of starting their own.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedConnectString } from '../support/zk.js';

async function run(file: string): Promise<{ code: number | null; out: string }> {
  // the examples import the package by its name: the source condition resolves it to the sources
  const child = spawn(process.execPath, ['--conditions=zk-recipes-source', '--import', 'tsx', file], {
    env: { ...process.env, ZK_CONNECT_STRING: sharedConnectString() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, out };
}

describe('examples and demo', () => {
  it('import the library by its package name, as a user would (never by a path into it)', () => {
    const files = readdirSync('examples', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(8);
    for (const file of files) {
      const text = readFileSync(join('examples', file), 'utf8');
      expect(text.match(/from '(\.\.\/)+(recipes|redis|postgres|src)\/[^']*'/g) ?? [], file).toEqual([]);
      // A helper that imports only Node's modules and its siblings (the demo's kit) uses no library.
      const packages = [...text.matchAll(/from '([^'.][^']*)'/g)].map((m) => m[1] as string).filter((p) => !p.startsWith('node:'));
      if (packages.length > 0) expect(text, file).toMatch(/from 'zk-recipes(\/(redis|postgres|testing))?'/);
    }
  });

  it.each([
    ['examples/reentrant-mutex.ts', 'counter = 20 (expected 20)'],
    ['examples/semaphore-jobs.ts', 'peak concurrency = 2 (limit 2)'],
    ['examples/clustered-workers.ts', 'leader according to worker-3: worker-2'],
    ['examples/partitioned-workers.ts', "the dead owner's late write accepted: false"],
    ['examples/fencing.ts', "A's late write accepted: false"],
    ['examples/secured-ensemble.ts', "intruder's delete refused: true"],
    ['examples/redis-lock.ts', "A's late write accepted: false"],
    ['examples/rate-limit-http.ts', 'SMS 4: 429 remaining=0 retry-after=10'],
    ['examples/postgres-lock.ts', 'the waiter was woken by the release: true'],
    ['examples/config-cache.ts', 'read-your-writes: darkMode = true'],
  ])('%s runs and shows %j', async (file, expected) => {
    const { code, out } = await run(file);
    expect(out).toContain(expected);
    expect(code).toBe(0);
  });

  it('the demo runs all three jobs with real processes and exits 0', async () => {
    const { code, out } = await run('examples/demo/main.ts');
    expect(out).toContain('took over');
    expect(out).toContain('= 100, exact');
    expect(out).toContain('peak 2 of 2 seats');
    expect(out).toContain('no other shard moved');
    expect(out).toContain('All good');
    expect(code).toBe(0);
  }, 120_000);
});
