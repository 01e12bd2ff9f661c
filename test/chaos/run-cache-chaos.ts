/**
 * The cache's chaos run (Curator's TestCuratorCacheConsistency, on real servers): writers create,
 * change and delete random nodes of a tree of up to ~1,000 nodes on a 3-server ensemble, while the
 * cache's client — through one fault proxy per member — suffers cut links, a paused link, server
 * kills and restarts and session expiries. Checker: after the writers stop, the cache equals the
 * server's tree (paths, data, versions) within a bound, and each node's events came in zxid order.
 */
import { CuratorCache, type CachedNode, ConnectionState, NodeExistsError, NoNodeError, ZkClient } from '../../recipes/index.js';
import { expireSession, FaultProxy, TestingCluster } from '../../src/testing/index.js';
import { prng } from './harness-kit.js';

export const CACHE_FAULT_KINDS = ['cut-link', 'pause-link', 'kill-connected', 'kill-member', 'expire-session'] as const;
export type CacheFaultKind = (typeof CACHE_FAULT_KINDS)[number];

export interface CacheChaosOptions {
  readonly durationS: number;
  readonly seed: number;
  readonly writers?: number;
  readonly watches?: 'persistent' | 'one-shot';
  readonly log?: (line: string) => void;
}

export interface CacheChaosReport {
  readonly seed: number;
  readonly durationS: number;
  readonly watches: 'persistent' | 'one-shot';
  readonly writes: number;
  readonly events: number;
  readonly rebuilds: number;
  readonly nodes: number;
  readonly faults: Record<CacheFaultKind, number>;
  /** From the writers' stop to the cache equal to the server. */
  readonly convergedMs: number;
  readonly violations: string[];
}

const ROOT = '/tree';
const DIRS = 20;
const LEAVES = 48;
const SESSION_TIMEOUT_MS = 4000;
const CONVERGE_WITHIN_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** zxid order of one node's states: a later incarnation, or the same one with a later data version. */
function after(a: CachedNode<Buffer>, b: CachedNode<Buffer>): boolean {
  return b.stat.czxid > a.stat.czxid || (b.stat.czxid === a.stat.czxid && b.stat.mzxid >= a.stat.mzxid);
}

async function serverTree(client: ZkClient): Promise<Map<string, { data: string; version: number; mzxid: bigint }>> {
  const tree = new Map<string, { data: string; version: number; mzxid: bigint }>();
  const visit = async (path: string): Promise<void> => {
    try {
      const [{ data, stat }, { children }] = await Promise.all([client.getData(path), client.getChildren(path)]);
      tree.set(path, { data: data.toString('hex'), version: stat.version, mzxid: stat.mzxid });
      await Promise.all(children.map((c) => visit(`${path}/${c}`)));
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  };
  await visit(ROOT);
  return tree;
}

function differences(cache: CuratorCache, tree: Map<string, { data: string; version: number; mzxid: bigint }>): string[] {
  const found: string[] = [];
  for (const [path, want] of tree) {
    const got = cache.get(path);
    if (!got) found.push(`missing ${path}`);
    else if (got.stat.mzxid !== want.mzxid || got.stat.version !== want.version || got.data.toString('hex') !== want.data)
      found.push(`stale ${path}: version ${got.stat.version}, server ${want.version}`);
  }
  for (const [path] of cache.entries()) if (!tree.has(path)) found.push(`extra ${path}`);
  return found;
}

export async function runCacheChaos(options: CacheChaosOptions): Promise<CacheChaosReport> {
  const log = options.log ?? (() => {});
  const random = prng(options.seed);
  const watches = options.watches ?? 'persistent';
  const violations: string[] = [];
  const faults = Object.fromEntries(CACHE_FAULT_KINDS.map((k) => [k, 0])) as Record<CacheFaultKind, number>;
  const cluster = await TestingCluster.start({ size: 3 });
  const proxies = await Promise.all([0, 1, 2].map((m) => FaultProxy.start(cluster.connectStringOf(m))));
  const clients: ZkClient[] = [];
  const newClient = async (connectString: string) => {
    const client = new ZkClient({ connectString, sessionTimeoutMs: SESSION_TIMEOUT_MS, connectionTimeoutMs: 30_000 });
    clients.push(client);
    await client.start();
    return client;
  };
  try {
    const setup = await newClient(cluster.connectString);
    for (let d = 0; d < DIRS; d++) {
      await setup.create(`${ROOT}/d${d}`, null, { createParents: true });
      for (let l = 0; l < LEAVES / 2; l++) await setup.create(`${ROOT}/d${d}/l${l}`, Buffer.from(`v0`));
    }
    const cacheClient = await newClient(proxies.map((p) => p.connectString).join(','));
    const cache = new CuratorCache(cacheClient, ROOT, { watches });
    const lastSeen = new Map<string, CachedNode<Buffer>>();
    let events = 0;
    let rebuilds = 0;
    const observe = (node: CachedNode<Buffer>, kind: string) => {
      events++;
      const before = lastSeen.get(node.path);
      if (before && !after(before, node))
        violations.push(`${kind} ${node.path} went back: mzxid ${before.stat.mzxid} then ${node.stat.mzxid}`);
      lastSeen.set(node.path, node);
    };
    cache.on('created', (n) => observe(n, 'created'));
    cache.on('changed', (n) => observe(n, 'changed'));
    cache.on('deleted', (n) => observe(n, 'deleted'));
    cache.on('rebuilt', () => rebuilds++);
    cache.on('error', (e) => log(`cache error (background, kept going): ${String(e)}`));
    await cache.start();

    let writing = true;
    let writes = 0;
    const writer = async (w: number) => {
      const client = await newClient(cluster.connectString);
      const mine = prng(options.seed * 31 + w);
      while (writing) {
        const path = `${ROOT}/d${Math.floor(mine() * DIRS)}/l${Math.floor(mine() * LEAVES)}`;
        const roll = mine();
        try {
          if (roll < 0.4) await client.create(path, Buffer.from(`w${w}-${writes}`));
          else if (roll < 0.8) await client.setData(path, Buffer.from(`w${w}-${writes}`));
          else await client.delete(path);
          writes++;
        } catch (error) {
          if (!(error instanceof NoNodeError || error instanceof NodeExistsError)) await sleep(50); // a server down: the client retries
        }
        await sleep(mine() * 20);
      }
    };
    const writersDone = Promise.all(Array.from({ length: options.writers ?? 3 }, (_, w) => writer(w)));

    const connectedMember = () => proxies.findIndex((p) => p.connectionCount > 0);
    const end = Date.now() + options.durationS * 1000;
    let next = 0;
    while (Date.now() < end - 3000) {
      await sleep(1500 + random() * 2000);
      const kind = CACHE_FAULT_KINDS[next++ % CACHE_FAULT_KINDS.length] as CacheFaultKind;
      faults[kind]++;
      log(`fault ${kind}`);
      if (kind === 'cut-link') proxies[Math.max(0, connectedMember())]?.cut();
      else if (kind === 'pause-link') {
        const proxy = proxies[Math.max(0, connectedMember())] as FaultProxy;
        proxy.pause();
        await sleep(SESSION_TIMEOUT_MS * 0.8); // SUSPENDED by the read timeout, back before the session ends
        proxy.resume();
      } else if (kind === 'kill-connected' || kind === 'kill-member') {
        const m = kind === 'kill-connected' ? Math.max(0, connectedMember()) : Math.floor(random() * 3);
        await cluster.kill(m);
        await sleep(1000);
        await cluster.restart(m);
      } else if (cacheClient.state !== ConnectionState.SUSPENDED) {
        await expireSession(cacheClient, { connectString: cluster.connectString }).catch((e) => log(`expire: ${String(e)}`));
      }
    }
    writing = false;
    await writersDone;
    const stoppedAt = Date.now();
    const reader = await newClient(cluster.connectString);
    let diff: string[] = ['not compared'];
    while (Date.now() - stoppedAt < CONVERGE_WITHIN_MS) {
      try {
        await cache.sync({ timeoutMs: 5000 });
        diff = differences(cache, await serverTree(reader));
        if (diff.length === 0) break;
      } catch (error) {
        diff = [`sync: ${String(error)}`];
      }
      await sleep(200);
    }
    const convergedMs = Date.now() - stoppedAt;
    if (diff.length > 0)
      violations.push(`the cache still differs from the server after ${CONVERGE_WITHIN_MS} ms: ${diff.slice(0, 10).join('; ')}`);
    const nodes = cache.size;
    await cache.close();
    if (cacheClient.persistentWatchCount !== 0)
      violations.push(`${cacheClient.persistentWatchCount} persistent watch listeners left after close()`);
    return { seed: options.seed, durationS: options.durationS, watches, writes, events, rebuilds, nodes, faults, convergedMs, violations };
  } finally {
    for (const client of clients) await client.close();
    for (const proxy of proxies) await proxy.close();
    await cluster.stop();
  }
}

export function formatCacheReport(report: CacheChaosReport): string {
  const faults = CACHE_FAULT_KINDS.map((k) => `${k} ${report.faults[k]}`).join(', ');
  return [
    `cache chaos (${report.watches} watches), seed ${report.seed}, ${report.durationS} s`,
    `writes ${report.writes}, cache events ${report.events}, rebuilds ${report.rebuilds}, nodes at the end ${report.nodes}`,
    `faults: ${faults}`,
    `converged ${report.convergedMs} ms after the writers stopped`,
    `violations: ${report.violations.length === 0 ? 'none' : report.violations.join('\n  ')}`,
  ].join('\n');
}
