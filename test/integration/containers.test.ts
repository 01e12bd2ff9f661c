/**
 * ZooKeeper 3.5+ on the wire (issue 14): recipe parents are CONTAINER nodes made with
 * createContainer (opcode 19), as Curator makes them, so the server reaps them and an uncontended
 * lock cycle costs 2 writes; queue nodes are made with create2 (opcode 15), so the fencing token
 * comes with the create reply. On a dedicated server that reaps containers every 200 ms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterProcessMutex, InterProcessSemaphoreV2, ZkClient } from '../../recipes/index.js';
import { fourLetterWord, monitor, TestingServer } from '../../src/testing/index.js';
import { expectReaped } from '../support/locks.js';
import { faultsSkipReason } from '../support/zk.js';

let server: TestingServer;
/** A second server with the default reaper interval (60 s): no reaper write inside a measurement. */
let quiet: TestingServer;

const hostPort = (s: TestingServer): [string, number] => [s.connectString.split(':')[0] as string, Number(s.connectString.split(':')[1])];

/** The server's last zxid: every write request (failed ones and the reaper's included) takes one. */
async function lastZxid(): Promise<bigint> {
  const [host, port] = hostPort(quiet);
  const srvr = await fourLetterWord(host, port, 'srvr');
  const hex = /Zxid: (0x[0-9a-f]+)/.exec(srvr)?.[1];
  if (!hex) throw new Error(`no Zxid in srvr output: ${srvr}`);
  return BigInt(hex);
}

async function packetsReceived(): Promise<number> {
  const [host, port] = hostPort(quiet);
  return Number((await monitor(host, port)).zk_packets_received ?? 0);
}

async function newClient(namespace: string, on = server): Promise<ZkClient> {
  const client = new ZkClient({ connectString: on.connectString, namespace });
  await client.start();
  return client;
}

describe.skipIf(faultsSkipReason)('container parents and create2 (dedicated server)', () => {
  beforeAll(async () => {
    [server, quiet] = await Promise.all([
      TestingServer.start({ tickTimeMs: 200, systemProperties: { 'znode.container.checkIntervalMs': '200' } }),
      TestingServer.start({ tickTimeMs: 200 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), quiet?.stop()]);
  });

  it("a lock's parent (and its ancestors) survive our release and are then reaped by the server", async () => {
    const client = await newClient('/c1');
    const mutex = new InterProcessMutex(client, '/locks/orders');
    await (await mutex.acquire()).release();
    expect(client.containersSupported).toBe(true);
    expect(await client.exists('/locks/orders')).not.toBeNull(); // we did not delete it: no extra writes
    await expectReaped(client, '/locks/orders');
    await expectReaped(client, '/locks');
    expect(await client.exists('/')).not.toBeNull(); // the namespace itself is an ordinary node
    await client.close();
  });

  it('an uncontended acquire/release cycle costs 2 writes, and the fencing token comes with the create', async () => {
    const client = await newClient('/c2', quiet);
    const mutex = new InterProcessMutex(client, '/hot');
    await (await mutex.acquire()).release(); // the first cycle also makes the parent
    const cycles = 50;
    const before = await lastZxid();
    for (let i = 0; i < cycles; i++) await (await mutex.acquire()).release();
    const writes = Number((await lastZxid()) - before);
    expect(writes / cycles).toBe(2);
    const lease = await mutex.acquire();
    const packets = await packetsReceived();
    const token = await lease.fencingToken();
    expect(await packetsReceived()).toBe(packets + 1); // only our own mntr connection's request
    const stat = await client.exists(lease.nodePath);
    expect(token).toBe(stat?.czxid);
    await lease.release();
    await client.close();
  });

  it("a semaphore's parents are containers too (Curator's layout), reaped once empty", async () => {
    const client = await newClient('/c3');
    const semaphore = new InterProcessSemaphoreV2(client, '/sem', { maxLeases: 2 });
    const leases = await semaphore.acquire({ qty: 2 });
    expect(await leases[0]?.fencingToken()).toBeTypeOf('bigint');
    await semaphore.returnAll(leases);
    await expectReaped(client, '/sem');
    await client.close();
  });
});
