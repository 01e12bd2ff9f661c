/**
 * Starts one shared ZooKeeper for the whole test run (or uses ZK_CONNECT_STRING).
 */
import type { TestProject } from 'vitest/node';
import { TestingServer } from '../../src/testing/index.js';

/** The shared test server's superuser password (test clean-up only). */
export const SUPER_PASSWORD = 'zk-recipes-tests';

let server: TestingServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.ZK_CONNECT_STRING;
  if (external) {
    project.provide('zkConnectString', external);
    return;
  }
  // Recipe parents are CONTAINER nodes: reap empty ones fast, so tests can check nothing is left.
  // A superuser lets each test's clean-up remove nodes made under restrictive ACLs.
  // ZK_TEST_TLS=1 (the TLS pass of `npm test`): the recipe tests talk mutual TLS to it.
  const tls = process.env.ZK_TEST_TLS === '1';
  server = await TestingServer.start({
    tickTimeMs: 200,
    systemProperties: { 'znode.container.checkIntervalMs': '100' },
    superUser: { user: 'super', password: SUPER_PASSWORD },
    tls: tls ? { clientAuth: 'need' } : undefined,
  });
  project.provide('zkConnectString', server.tls?.connectString ?? server.connectString);
  project.provide('zkTls', server.tls ? { ca: server.tls.ca, cert: server.tls.cert, key: server.tls.key } : null);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    zkConnectString: string;
    /** Client TLS options when the shared server is reached over TLS (the TLS pass). */
    zkTls: { ca: string; cert: string; key: string } | null;
  }
}
