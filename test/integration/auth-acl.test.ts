/**
 * Issue 15 (part): digest authentication and ACLs on every recipe node. A client without the
 * credentials can neither delete a held lock node nor take the lock by doing so; authorised
 * participants lock, wait and hand off as usual; refused credentials close the client at once.
 */
import { describe, expect, it } from 'vitest';
import {
  Acls,
  AuthFailedError,
  ConnectionState,
  InterProcessMutex,
  InterProcessSemaphoreV2,
  LeaderLatch,
  NoAuthError,
  Permission,
  ZkClient,
  type ZkClientOptions,
} from '../../recipes/index.js';
import { TestingServer } from '../../src/testing/index.js';
import { faultsSkipReason, useTestNamespace } from '../support/zk.js';

// Every node alice's clients create is hers alone (the test kit cleans up as the server's superuser).
// A digest ACL, not Acls.creator(): under mutual TLS every test client shares one certificate, and
// the creator's x509 identity would let the "intruder" in too.
const alice = { auth: [{ scheme: 'digest', credentials: 'alice:secret' }], aclProvider: { defaultAcl: [Acls.digest('alice', 'secret')] } };

describe('digest authentication and ACLs (real server)', () => {
  const ns = useTestNamespace();
  const client = (options: Partial<ZkClientOptions> = {}) => ns().client(options);

  it('every recipe node gets the provider ACL; a client without the credentials cannot delete a held lock node or take the lock', async () => {
    const [a, c] = await Promise.all([client(alice), client(alice)]);
    const intruder = await client();
    const held = await new InterProcessMutex(a, '/locks/orders').acquire();
    const acl = await a.getAcl(held.nodePath);
    expect(acl).toEqual([{ permissions: Permission.ALL, scheme: 'digest', id: Acls.digest('alice', 'secret').id }]);
    expect((await a.getAcl('/locks/orders'))[0]?.scheme).toBe('digest'); // the container parent too
    await expect(intruder.delete(held.nodePath)).rejects.toBeInstanceOf(NoAuthError);
    await expect(new InterProcessMutex(intruder, '/locks/orders').tryAcquire()).rejects.toBeInstanceOf(NoAuthError);
    expect(held.signal.aborted).toBe(false);
    // Authorised participants wait and hand off as usual.
    const waiting = new InterProcessMutex(c, '/locks/orders').acquire({ timeoutMs: 10_000 });
    await held.release();
    const next = await waiting;
    await next.release();
  });

  it('semaphores and latches under an ACL provider: their nodes are protected too', async () => {
    const a = await client(alice);
    const intruder = await client();
    const [lease] = await new InterProcessSemaphoreV2(a, '/sem', { maxLeases: 1 }).acquire();
    await expect(intruder.delete(lease!.nodePath)).rejects.toBeInstanceOf(NoAuthError);
    await lease!.release();
    const latch = new LeaderLatch(a, '/election');
    await latch.start();
    await latch.awaitLeadership({ timeoutMs: 5_000 });
    await expect(intruder.delete(latch.nodePath as string)).rejects.toBeInstanceOf(NoAuthError);
    await latch.close();
  });

  it('credentials the server refuses close the client with AuthFailedError at once, no reconnect loop', async () => {
    const refused = ns().unstartedClient({ auth: [{ scheme: 'no-such-scheme', credentials: 'x' }] });
    const started = Date.now();
    // The server answers the connect, then refuses the credentials: start() settles only once the
    // server has answered them, and rejects with AuthFailedError; the client is closed for good.
    const outcome = await refused.start().then(
      () => 'start() resolved',
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(AuthFailedError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(refused.state).toBe(ConnectionState.CLOSED);
    await expect(refused.exists('/')).rejects.toBeInstanceOf(AuthFailedError);
    await refused.close();
  });

  it.skipIf(faultsSkipReason)(
    'a server that requires authentication: authenticated clients work, an unauthenticated one fails at once',
    async () => {
      const server = await TestingServer.start({ tickTimeMs: 200, requireAuth: ['digest'] });
      try {
        const ok = new ZkClient({ connectString: server.connectString, auth: [{ scheme: 'digest', credentials: 'ops:pw' }] });
        await ok.start();
        await (await new InterProcessMutex(ok, '/lock').acquire()).release();
        await ok.close();
        const anonymous = new ZkClient({ connectString: server.connectString });
        const started = Date.now();
        const outcome = await anonymous
          .start()
          .then(() => anonymous.exists('/'))
          .then(
            () => 'no error',
            (error: unknown) => error,
          );
        expect(outcome).toBeInstanceOf(AuthFailedError);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(anonymous.state).toBe(ConnectionState.CLOSED);
        await anonymous.close();
      } finally {
        await server.stop();
      }
    },
  );
});
