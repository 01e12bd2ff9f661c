/**
 * `zk-recipes inspect <name> --redis <url>` / `--postgres <url>`: a Redis or PostgreSQL lock as it
 * is now — holder (memo, token, TTL left) and waiters in line order. The `redis` and `pg` packages
 * are the user's (optional peer dependencies): loaded only here, and named when missing.
 */
import type { LockInspection as PgInspection, PgPoolLike } from '../postgres/index.js';
import type { LockInspection, RedisClientLike } from '../redis/index.js';
import { renderTable } from './table.js';

/** What the command needs. */
export interface TtlInspectRequest {
  readonly name: string;
  readonly redis?: string;
  readonly postgres?: string;
  /** Redis key prefix (RedisLock's `prefix`). */
  readonly prefix?: string;
  /** PostgreSQL lock table (PostgresLock's `table`). */
  readonly table?: string;
}

/** A failure to tell the user in one line (exit 1). */
export class InspectFailure extends Error {}

async function load<T>(pkg: string, why: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND')
      throw new InspectFailure(`${why} needs the \`${pkg}\` package: npm install ${pkg}`);
    throw error;
  }
}

async function fromRedis(request: TtlInspectRequest & { redis: string }): Promise<LockInspection> {
  type RedisModule = {
    createClient(options: object): RedisClientLike & {
      connect(): Promise<unknown>;
      close?(): Promise<void>;
      quit?(): Promise<unknown>;
      on(e: string, l: () => void): unknown;
    };
  };
  const { createClient } = await load<RedisModule>('redis', '--redis');
  const { RedisLock } = await import('../redis/index.js');
  const client = createClient({ url: request.redis, socket: { connectTimeout: 5000, reconnectStrategy: false } });
  client.on('error', () => undefined); // the failed connect() says it
  try {
    await client.connect();
  } catch (error) {
    throw new InspectFailure(`Could not connect to Redis at ${request.redis}: ${(error as Error).message}`);
  }
  try {
    return await new RedisLock(client, request.name, request.prefix === undefined ? {} : { prefix: request.prefix }).inspect();
  } finally {
    await (client.close?.() ?? client.quit?.())?.catch(() => undefined);
  }
}

async function fromPostgres(request: TtlInspectRequest & { postgres: string }): Promise<PgInspection> {
  type PgModule = { default: { Pool: new (options: object) => PgPoolLike & { end(): Promise<void> } } };
  const pg = await load<PgModule>('pg', '--postgres');
  const { PostgresLock } = await import('../postgres/index.js');
  const pool = new pg.default.Pool({ connectionString: request.postgres, max: 1, connectionTimeoutMillis: 5000 });
  try {
    const table = request.table === undefined ? {} : { table: request.table };
    return await new PostgresLock(pool, request.name, { ...table, createTable: false, operationTimeoutMs: 5000 }).inspect();
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code === '42P01') throw new InspectFailure(`No lock table ${request.table ?? 'zk_recipes_locks'} in that database (pass --table).`);
    throw error;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** Looks the lock up on the backend the request names. */
export function inspectTtlLock(request: TtlInspectRequest): Promise<LockInspection> {
  if (request.redis !== undefined) return fromRedis({ ...request, redis: request.redis });
  if (request.postgres !== undefined) return fromPostgres({ ...request, postgres: request.postgres });
  throw new InspectFailure('Pass --redis <url> or --postgres <url>.');
}

/** The inspection as a table, as `inspect` prints a ZooKeeper recipe. */
export function ttlTable(report: LockInspection, where: string): string {
  const rows: string[][] = [];
  if (report.holder) {
    const h = report.holder;
    rows.push(['1', 'holder', h.memo || '-', `lease ${h.ttlMs}ms left`, `token ${h.token}`]);
  }
  for (const [i, w] of report.waiters.entries())
    rows.push([
      String(rows.length + 1),
      'waiting',
      w.memo || '-',
      w.aliveMs > 0 ? `alive ${w.aliveMs}ms` : 'dead (skipped)',
      `#${i + 1} in line`,
    ]);
  const title = `${report.name} (${where}): ${report.holder ? 'held' : 'free'}, ${report.waiters.length} waiting`;
  return renderTable(title, ['#', 'role', 'memo', 'time', 'detail'], rows);
}

/** JSON with the bigint token as a string. */
export function ttlJson(report: LockInspection): string {
  return JSON.stringify(report, (_, value) => (typeof value === 'bigint' ? value.toString() : value));
}
