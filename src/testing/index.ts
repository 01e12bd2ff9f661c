/**
 * `zk-recipes/testing`: real ZooKeeper servers and ensembles for tests, ours and yours.
 */
export { TestingServer, type TestingServerOptions, type TestingServerTls } from './server.js';
export { makeTestCertificates, type TestCertificates } from './certificates.js';
export { TestingCluster, type TestingClusterOptions, type TestingClusterTls } from './cluster.js';
export { FaultProxy } from './fault-proxy.js';
export { closeSessionFromOutside, expireSession } from './expire-session.js';
export { TestNamespace, deleteRecursive } from './namespace.js';
export { locateZooKeeper, canStartServers, curatorClasspath, dockerAnswers, INSTALL_HINT, type ZooKeeperSource } from './locate.js';
export { fourLetterWord, monitor } from './four-letter.js';
export { freePort } from './ports.js';
export { TestingRedis, type TestingRedisOptions, locateRedisServer, RedisNotFoundError, REDIS_INSTALL_HINT } from './redis-server.js';
export { TestingPostgres, locatePostgres, PostgresNotFoundError, POSTGRES_INSTALL_HINT } from './postgres-server.js';
