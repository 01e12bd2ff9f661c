/**
 * `zk-recipes/postgres`: the lock contract on PostgreSQL. Needs the `pg` package (node-postgres
 * 8), an optional peer dependency; ZooKeeper and Redis users never load this.
 */
export { PostgresLock, type PostgresLockOptions } from './lock.js';
export { lockDdl, checkTableName } from './schema.js';
export type { PgPoolLike, PgClientLike, PgNotification } from './pool.js';
export { PostgresQueryError, PostgresUnavailableError } from './errors.js';
export { Lease, type AcquireOptions } from '../src/lock/index.js';
export {
  ZkRecipesError,
  InvalidArgumentError,
  LockTimeoutError,
  NotOwnerError,
  AlreadyReleasedError,
  OwnershipLostError,
  ClientClosedError,
} from '../src/errors.js';
