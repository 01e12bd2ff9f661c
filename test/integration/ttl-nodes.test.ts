/**
 * TTL nodes (createTTL, opcode 21) on a real ZooKeeper 3.8 started with extended types, the
 * refusal of a server without them, and bad input refused before anything is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateMode, InvalidArgumentError, UnsupportedByServerError, ZkClient } from '../../src/index.js';
import { TestingServer } from '../../src/testing/index.js';
import { eventually } from '../support/locks.js';
import { faultsSkipReason, useTestNamespace } from '../support/zk.js';

describe.skipIf(faultsSkipReason)('TTL nodes (a server with extended types, expired ones checked every 100 ms)', () => {
  let server: TestingServer;
  let client: ZkClient;
  beforeAll(async () => {
    server = await TestingServer.start({ ttlNodes: { checkIntervalMs: 100 } });
    client = new ZkClient({ connectString: server.connectString });
    await client.start();
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('a TTL node lives while it is touched and goes once it has been left alone past its TTL', async () => {
    const created = await client.createInSession('/job-lease', Buffer.from('w1'), { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: 800 });
    expect(created.path).toBe('/job-lease');
    expect(created.stat?.czxid).toBeGreaterThan(0n);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 300));
      await client.setData('/job-lease', Buffer.from(`w1-${i}`)); // a touch moves mtime on
    }
    expect(await client.exists('/job-lease')).not.toBeNull();
    await eventually(async () => (await client.exists('/job-lease')) === null, 10_000, 'the TTL node expired');
  });

  it('sequential TTL nodes get a sequence suffix and expire too', async () => {
    const path = await client.create('/ticket-', null, { mode: CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, ttlMs: 200 });
    expect(path).toMatch(/^\/ticket-\d{10}$/);
    await eventually(async () => (await client.exists(path)) === null, 10_000, 'the sequential TTL node expired');
  });
});

describe('TTL nodes elsewhere (shared server, extended types off)', () => {
  const ns = useTestNamespace();

  it('a server without extended types refuses with UnsupportedByServerError saying how to turn them on; nothing is made', async () => {
    const client = await ns().client();
    const refused = await client.create('/t', null, { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: 1000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UnsupportedByServerError);
    expect(String((refused as Error).message)).toContain('zookeeper.extendedTypesEnabled=true');
    expect(await client.exists('/t')).toBeNull();
  });

  it('bad TTL input is refused before anything is sent', async () => {
    const client = await ns().client();
    await expect(client.create('/t', null, { mode: CreateMode.PERSISTENT_WITH_TTL })).rejects.toThrow(/needs ttlMs/);
    await expect(client.create('/t', null, { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: 0 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(client.create('/t', null, { mode: CreateMode.PERSISTENT_WITH_TTL, ttlMs: 2 ** 40 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(client.create('/t', null, { ttlMs: 1000 })).rejects.toThrow(/only for CreateMode.PERSISTENT_WITH_TTL/);
    await expect(client.transaction([{ type: 'create', path: '/t', mode: CreateMode.PERSISTENT_WITH_TTL }])).rejects.toThrow(/transaction/);
    expect(await client.exists('/t')).toBeNull();
    await expect(TestingServer.start({ ttlNodes: { checkInterval: 5 } as never })).rejects.toThrow(/did you mean "checkIntervalMs"/);
  });
});
