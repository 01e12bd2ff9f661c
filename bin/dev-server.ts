/**
 * `zk-recipes dev-server`: a throwaway ZooKeeper (and, on request, Redis and PostgreSQL) on
 * loopback for a first run and local development — the testing kit's servers, with their data
 * in a temp directory that goes with them. Not for production.
 */
import type { TestingPostgres, TestingRedis, TestingServer } from '../src/testing/index.js';

/** What to start. */
export interface DevServerRequest {
  /** ZooKeeper's client port. @default 2181 */
  readonly port: number;
  readonly redis: boolean;
  readonly postgres: boolean;
}

/** Starts the servers, prints where they are, and runs until SIGINT/SIGTERM; then stops them. */
export async function devServer(request: DevServerRequest, print: (line: string) => void): Promise<void> {
  const { TestingPostgres, TestingRedis, TestingServer } = await import('../src/testing/index.js');
  const started: (TestingServer | TestingRedis | TestingPostgres)[] = [];
  try {
    // A production-like tick (2 s): sessions from 4 s to 40 s, as a default ZooKeeper allows.
    const zk = await TestingServer.start({ port: request.port, tickTimeMs: 2000 });
    started.push(zk);
    print(`ZooKeeper  ${zk.connectString}   (connectString; export ZK_CONNECT_STRING=${zk.connectString})`);
    if (request.redis) {
      const redis = await TestingRedis.start({ port: 6379 });
      started.push(redis);
      print(`Redis      ${redis.url}`);
    }
    if (request.postgres) {
      const postgres = await TestingPostgres.start();
      started.push(postgres);
      print(`PostgreSQL ${postgres.url}`);
    }
    print('Data lives in temporary directories and is gone when this stops. Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  } finally {
    for (const server of started.reverse()) await server.stop().catch(() => undefined);
  }
}
