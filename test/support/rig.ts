/** Dedicated servers for fault tests: a server (and a fault proxy) per test, cleaned up after it. */
import { afterEach } from 'vitest';
import { ZkClient, type ZkClientOptions } from '../../src/index.js';
import { FaultProxy, TestingServer } from '../../src/testing/index.js';

/** Registers an afterEach that runs every registered clean-up, last first; returns `track`. */
export function useCleanups(): (cleanup: () => Promise<unknown>) => void {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });
  return (cleanup) => void cleanups.push(cleanup);
}

/** A server that reaps empty containers fast, a fault proxy in front of it, and a client factory. */
export async function startRig(track: (cleanup: () => Promise<unknown>) => void, defaults: Partial<ZkClientOptions> = {}) {
  const server = await TestingServer.start({ tickTimeMs: 200, systemProperties: { 'znode.container.checkIntervalMs': '100' } });
  track(() => server.stop());
  const proxy = await FaultProxy.start(server.connectString);
  track(() => proxy.close());
  /** A started client, through the proxy (faults apply) or straight to the server. */
  const client = async (viaProxy: boolean, options: Partial<ZkClientOptions> = {}) => {
    const c = new ZkClient({ connectString: viaProxy ? proxy.connectString : server.connectString, ...defaults, ...options });
    track(() => c.close());
    await c.start();
    return c;
  };
  return { server, proxy, client };
}
