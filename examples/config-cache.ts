/**
 * A configuration cache with read-your-writes: `npx tsx examples/config-cache.ts`
 * (starts its own ZooKeeper unless ZK_CONNECT_STRING is set).
 *
 * An admin process writes JSON config under /config; a service reads it from a CuratorCache
 * (no round trip per read), sees every change as an event, and — after its own write — waits for
 * that write's zxid so it never reads its own stale value.
 */
import { CuratorCache, ZkClient } from 'zk-recipes';
import { withZooKeeper } from './with-zookeeper.js';

await withZooKeeper(async (connectString) => {
  const namespace = '/examples';
  const admin = new ZkClient({ connectString, namespace });
  const service = new ZkClient({ connectString, namespace });
  await Promise.all([admin.start(), service.start()]);
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  await admin.create('/config/db', json({ pool: 10 }), { createParents: true });
  await admin.create('/config/flags', json({ darkMode: false }));

  const config = new CuratorCache(service, '/config', {
    decode: (bytes) => (bytes.length > 0 ? JSON.parse(bytes.toString('utf8')) : null) as Record<string, unknown> | null,
  });
  config.on('changed', (node, previous) =>
    console.log(`changed ${node.path}: ${JSON.stringify(previous.data)} → ${JSON.stringify(node.data)}`),
  );
  config.on('created', (node) => console.log(`created ${node.path}`));
  await config.start({ timeoutMs: 30_000 });
  console.log(`loaded ${config.size} nodes; children of /config: ${config.children('/config').join(', ')}`);

  // Another process changes the pool size; the event arrives by itself.
  const changed = new Promise<void>((resolve) => config.on('changed', (node) => node.path === '/config/db' && resolve()));
  await admin.setData('/config/db', json({ pool: 25 }));
  await changed;

  // This service flips a flag and reads it back at once: waitFor(zxid) makes that safe.
  const stat = await service.setData('/config/flags', json({ darkMode: true }));
  await config.waitFor(stat.mzxid);
  console.log(`read-your-writes: darkMode = ${String(config.get('/config/flags')?.data?.darkMode)}`);

  await config.close();
  await admin.delete('/config/flags');
  await admin.delete('/config/db');
  await admin.delete('/config');
  await Promise.all([admin.close(), service.close()]);
});
