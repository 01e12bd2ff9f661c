/**
 * Issue 15 (part): TLS and mutual TLS to a real server's secureClientPort (Netty, throwaway
 * certificates from the testing kit): recipes work, reconnects and the silent-server watchdog work
 * through a fault proxy, a real session expiry is followed by a new TLS session, and a certificate
 * problem fails at once with TlsError instead of a retry loop.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Acls,
  ConnectionState,
  InterProcessMutex,
  InterProcessSemaphoreV2,
  LeaderLatch,
  NoAuthError,
  TlsError,
  ZkClient,
  type ZkClientOptions,
} from '../../recipes/index.js';
import { expireSession, FaultProxy, TestingServer } from '../../src/testing/index.js';
import { runCli } from '../support/cli.js';
import { useCleanups } from '../support/rig.js';
import { waitForState } from '../support/states.js';
import { faultsSkipReason } from '../support/zk.js';

const track = useCleanups();

async function tlsServer(clientAuth: 'none' | 'need') {
  const server = await TestingServer.start({ tickTimeMs: 200, tls: { clientAuth } });
  track(() => server.stop());
  const tls = server.tls as NonNullable<TestingServer['tls']>;
  const client = async (options: Partial<ZkClientOptions> = {}) => {
    const c = new ZkClient({
      connectString: tls.connectString,
      sessionTimeoutMs: 2000,
      tls: { ca: tls.ca, cert: tls.cert, key: tls.key },
      ...options,
    });
    track(() => c.close());
    await c.start();
    return c;
  };
  return { server, tls, client };
}

describe.skipIf(faultsSkipReason)('TLS and mutual TLS (dedicated servers)', () => {
  it('mutual TLS: locks hand off, semaphores and latches work', async () => {
    const { client } = await tlsServer('need');
    const [a, b] = await Promise.all([client(), client()]);
    const held = await new InterProcessMutex(a, '/lock').acquire();
    expect(await held.fencingToken()).toBeTypeOf('bigint');
    const waiting = new InterProcessMutex(b, '/lock').acquire({ timeoutMs: 10_000 });
    await held.release();
    await (await waiting).release();
    const leases = await new InterProcessSemaphoreV2(a, '/sem', { maxLeases: 2 }).acquire({ qty: 2 });
    await Promise.all(leases.map((l) => l.release()));
    const latch = new LeaderLatch(b, '/election');
    await latch.start();
    await latch.awaitLeadership({ timeoutMs: 5_000 });
    await latch.close();
  });

  it('a certificate the client does not trust, or a missing client certificate, fails at once with TlsError', async () => {
    const { tls } = await tlsServer('need');
    for (const options of [{ cert: tls.cert, key: tls.key }, { ca: tls.ca }]) {
      const c = new ZkClient({ connectString: tls.connectString, connectionTimeoutMs: 15_000, tls: options });
      const started = Date.now();
      const outcome = await c.start().then(
        () => 'connected',
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(TlsError);
      expect(Date.now() - started).toBeLessThan(5_000); // not the 15 s connection timeout
      expect(c.state).toBe(ConnectionState.CLOSED);
      await c.close();
    }
  });

  it('over TLS through a fault proxy: the silent-server watchdog suspends, the link heals, the session survives', async () => {
    const { tls, client } = await tlsServer('none');
    const proxy = await FaultProxy.start(tls.connectString);
    track(() => proxy.close());
    const ops = [{ scheme: 'digest', credentials: 'ops:pw' }];
    const a = await client({ connectString: proxy.connectString, sessionTimeoutMs: 4000, auth: ops });
    const session = a.sessionId;
    await a.create('/ops-only', Buffer.from('v'), { acl: [Acls.digest('ops', 'pw')] });
    const lease = await new InterProcessMutex(a, '/lock').acquire();
    proxy.pause();
    await waitForState(a, ConnectionState.SUSPENDED);
    expect(lease.signal.aborted).toBe(true);
    proxy.resume();
    await waitForState(a, ConnectionState.RECONNECTED);
    expect(a.sessionId).toBe(session);
    expect((await a.getData('/ops-only')).data.toString()).toBe('v'); // credentials re-sent on the new connection
    await lease.release();
  });

  it('the CLI over mutual TLS with digest auth: --tls-ca/--tls-cert/--tls-key and --auth', async () => {
    const { tls, client } = await tlsServer('need');
    const owner = await client({
      auth: [{ scheme: 'digest', credentials: 'ops:pw' }],
      aclProvider: { defaultAcl: [Acls.digest('ops', 'pw')] },
    });
    const lease = await new InterProcessMutex(owner, '/guarded', { data: Buffer.from('worker-7') }).acquire();
    const dir = mkdtempSync(join(tmpdir(), 'zk-recipes-cli-tls-'));
    track(async () => rmSync(dir, { recursive: true, force: true }));
    for (const [name, pem] of [
      ['ca.pem', tls.ca],
      ['cert.pem', tls.cert],
      ['key.pem', tls.key],
    ] as const)
      writeFileSync(join(dir, name), pem);
    const flags = [
      '--connect',
      tls.connectString,
      '--tls-ca',
      join(dir, 'ca.pem'),
      '--tls-cert',
      join(dir, 'cert.pem'),
      '--tls-key',
      join(dir, 'key.pem'),
    ];
    const ok = await runCli('inspect', '/guarded', ...flags, '--auth', 'digest:ops:pw');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/holder\s+_c_\S+-lock-\d{10}\s+0x[0-9a-f]+\s+worker-7/);
    const refused = await runCli('inspect', '/guarded', ...flags); // no credentials: the node's ACL says no
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('NO_AUTH');
    const bad = await runCli('tree', '/', '--connect', tls.connectString, '--tls-cert', join(dir, 'cert.pem'));
    expect(bad.code).toBe(2); // --tls-cert without --tls-key
    await lease.release();
  });

  it('x509 authentication: under mutual TLS the client certificate is an identity an ACL can name', async () => {
    const { server, tls, client } = await tlsServer('need');
    const certified = await client();
    await certified.create('/by-cert', Buffer.from('x'), { acl: [Acls.x509('CN=zk-recipes-test-client')] });
    const plain = new ZkClient({ connectString: server.connectString }); // no certificate, no x509 identity
    track(() => plain.close());
    await plain.start();
    await expect(plain.getData('/by-cert')).rejects.toBeInstanceOf(NoAuthError);
    const sameCertificate = await client({ connectString: tls.connectString });
    expect((await sameCertificate.getData('/by-cert')).data.toString()).toBe('x');
    await sameCertificate.delete('/by-cert');
  });

  it('a real session expiry over TLS: LOST, then a new TLS session by itself', async () => {
    const { server, client } = await tlsServer('none');
    const a = await client({ auth: [{ scheme: 'digest', credentials: 'ops:pw' }] });
    await a.create('/ops-only', Buffer.from('v'), { acl: [Acls.digest('ops', 'pw')] });
    const before = a.sessionId;
    await expireSession(a, { connectString: server.connectString }); // the kill goes over the plain port
    await waitForState(a, ConnectionState.RECONNECTED);
    expect(a.sessionId).not.toBe(before);
    expect((await a.getData('/ops-only')).data.toString()).toBe('v'); // the new session is authenticated too
    await (await new InterProcessMutex(a, '/lock').acquire()).release();
  });
});
