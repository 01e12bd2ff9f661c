/**
 * The library as users run it: the Redis and PostgreSQL workloads load zk-recipes from the built
 * `dist/` (tsc's output), so they compare plain JavaScript with the peers' plain JavaScript — run
 * from the sources, tsx's transform adds a helper call per closure made (its keepNames), which
 * showed as a few µs of client CPU per lock cycle. `npm run bench` builds first; without a build, or
 * with BENCH_SOURCE=1 (the smoke test), the sources are used.
 */
import { existsSync } from 'node:fs';

const fromDist = process.env.BENCH_SOURCE !== '1' && existsSync(new URL('../dist/redis/index.js', import.meta.url));

/** Where the library was loaded from, for the report. */
export const LIBRARY_BUILD = fromDist ? 'dist' : 'sources';

export const redisLibrary = (await import(fromDist ? '../dist/redis/index.js' : '../redis/index.js')) as typeof import('../redis/index.js');
export const postgresLibrary = (await import(
  fromDist ? '../dist/postgres/index.js' : '../postgres/index.js'
)) as typeof import('../postgres/index.js');
