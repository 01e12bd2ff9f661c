/**
 * `zk-recipes/testing`: real ZooKeeper servers and ensembles for tests, ours and yours.
 */
export { TestingServer, type TestingServerOptions, type TestingServerTls } from './server.js';
export { makeTestCertificates, type TestCertificates } from './certificates.js';
export { TestingCluster, type TestingClusterOptions, type TestingClusterTls } from './cluster.js';
export { FaultProxy } from './fault-proxy.js';
export { closeSessionFromOutside, expireSession } from './expire-session.js';
export { TestNamespace, deleteRecursive } from './namespace.js';
export { canStartServers } from './locate.js';
export { ZooKeeperNotFoundError } from '../core/errors.js';
export { fourLetterWord, monitor } from './four-letter.js';
export { TestingRedis, type TestingRedisOptions, RedisNotFoundError } from './redis-server.js';
export { TestingRedisCluster, type TestingRedisClusterOptions } from './redis-cluster.js';
export { TestingPostgres, PostgresNotFoundError } from './postgres-server.js';
