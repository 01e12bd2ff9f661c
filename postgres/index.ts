/**
 * `zk-recipes/postgres`: the lock contract on PostgreSQL. Needs the `pg` package (node-postgres
 * 8), an optional peer dependency; ZooKeeper and Redis users never load this.
 */
export { PostgresLock, type PostgresLockOptions } from './lock.js';
export { lockDdl } from './schema.js';
export type { PgPoolLike, PgClientLike, PgNotification, PgSocketLike } from './pool.js';
export { PostgresQueryError, PostgresUnavailableError } from './errors.js';
export * from '../src/lock/contract-exports.js';
