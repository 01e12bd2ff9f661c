/**
 * A secured ensemble: mutual TLS, digest authentication and ACLs on every recipe node.
 * `npx tsx examples/secured-ensemble.ts` (starts its own TLS ZooKeeper with throwaway
 * certificates from the testing kit: it needs a local ZooKeeper install and openssl).
 */
import { Acls, InterProcessMutex, NoAuthError, TlsError, ZkClient } from 'zk-recipes';
import { TestingServer } from 'zk-recipes/testing';

const server = await TestingServer.start({ tls: { clientAuth: 'need' } });
try {
  const tls = server.tls as NonNullable<typeof server.tls>;
  const billing = (auth: boolean) =>
    new ZkClient({
      connectString: tls.connectString,
      namespace: '/examples-secured',
      tls: { ca: tls.ca, cert: tls.cert, key: tls.key }, // trust the CA, present a client certificate
      ...(auth
        ? {
            auth: [{ scheme: 'digest', credentials: 'billing:s3cret' }],
            aclProvider: { defaultAcl: [Acls.digest('billing', 's3cret')] }, // every node: billing's alone
          }
        : {}),
    });

  const a = billing(true);
  const b = billing(true);
  const intruder = billing(false); // a valid certificate, but not billing's credentials
  await Promise.all([a.start(), b.start(), intruder.start()]);

  const lease = await new InterProcessMutex(a, '/locks/invoices').acquire();
  console.log(`a holds ${lease.nodePath} (fencing token ${await lease.fencingToken()})`);
  console.log(`the lock node's ACL: ${JSON.stringify(await a.getAcl(lease.nodePath))}`);
  try {
    await intruder.delete(lease.nodePath);
    console.log('intruder deleted the lock node: this must not happen');
  } catch (error) {
    console.log(`intruder's delete refused: ${error instanceof NoAuthError}`);
  }
  const waiting = new InterProcessMutex(b, '/locks/invoices').acquire({ timeoutMs: 10_000 });
  await lease.release();
  const next = await waiting;
  console.log(`b got the lock after a released it: ${next.nodePath !== lease.nodePath}`);
  await next.release();

  const untrusting = new ZkClient({ connectString: tls.connectString, tls: { cert: tls.cert, key: tls.key } }); // no CA
  await untrusting
    .start()
    .catch((error: unknown) => console.log(`a client that does not trust the server: TlsError ${error instanceof TlsError}`));
  await untrusting.close();
  await Promise.all([a.close(), b.close(), intruder.close()]);
} finally {
  await server.stop();
}
