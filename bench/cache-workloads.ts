/**
 * The cache workloads (issue 26), for zk-recipes' CuratorCache and Curator's (CuratorBench.java
 * c1/c2) on the same server and the same tree, prepared beforehand by `prepareCacheTree`:
 * C1 loads N nodes (time, memory per cached node — JS heap plus ArrayBuffers, against the JVM's
 * used heap — requests per node); C2 measures event latency
 * under ~1,000 writes/s from another session (p50/p99, requests per change, final states missed).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CuratorCache, ZkClient } from '../recipes/index.js';
import { percentile, round } from './stats.js';
import { counters, type Figures, type Server, type Sizes } from './zk-kit.js';

const DIRS = 100;

async function client(server: Server, ns: string): Promise<ZkClient> {
  const c = new ZkClient({ connectString: server.connectString, namespace: ns, sessionTimeoutMs: 30_000, operationTimeoutMs: 60_000 });
  await c.start();
  return c;
}

/** `/c/d<i>/n<j>`, 16 bytes each, `nodes` in all (plus the directories), pipelined. */
export async function prepareCacheTree(server: Server, ns: string, root: string, nodes: number): Promise<void> {
  const c = await client(server, ns);
  await c.mkdirp(root);
  await Promise.all(Array.from({ length: DIRS }, (_, d) => c.create(`${root}/d${d}`, null)));
  const data = Buffer.alloc(16, 7);
  const batch = 2000;
  for (let i = 0; i < nodes; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, nodes - i) }, (_, k) => c.create(`${root}/d${(i + k) % DIRS}/n${i + k}`, data)));
  }
  await c.close();
}

/** The tree a workload needs, in a namespace: what both sides get before they start. */
export async function prepareFor(workload: string, server: Server, sizes: Sizes, ns: string): Promise<void> {
  if (workload === 'C1') {
    await prepareCacheTree(server, ns, '/warm', 1000);
    await prepareCacheTree(server, ns, '/c1', sizes.c1Nodes);
  } else if (workload === 'C2') await prepareCacheTree(server, ns, '/c2', 1000);
}

/** Deletes a workload's namespace tree (100,000 nodes per run would fill the server's heap). */
export async function cleanupAfter(workload: string, server: Server, ns: string): Promise<void> {
  if (!workload.startsWith('C')) return;
  const c = new ZkClient({ connectString: server.connectString, sessionTimeoutMs: 30_000, operationTimeoutMs: 60_000 });
  await c.start();
  const remove = async (path: string): Promise<void> => {
    const { children } = await c.getChildren(path).catch(() => ({ children: [] as string[] }));
    for (let i = 0; i < children.length; i += 2000) await Promise.all(children.slice(i, i + 2000).map((name) => remove(`${path}/${name}`)));
    await c.delete(path).catch(() => {});
  };
  await remove(ns);
  await c.close();
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  (runInNewContext('gc') as () => void)();
}

/** C1: start() until initialized on a prepared tree; heap kept per cached node. */
export async function c1(server: Server, _sizes: Sizes, ns: string): Promise<Figures> {
  const c = await client(server, ns);
  const warm = new CuratorCache(c, '/warm');
  await warm.start();
  await warm.close();
  collectGarbage();
  // the JS heap and the ArrayBuffers outside it (the cache keeps Stats and bytes in typed arrays)
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const heap0 = used();
  const before = await counters(server);
  const start = process.hrtime.bigint();
  const cache = new CuratorCache(c, '/c1');
  await cache.start();
  const loadMs = Number(process.hrtime.bigint() - start) / 1e6;
  const after = await counters(server);
  collectGarbage();
  const heapPerNode = (used() - heap0) / cache.size;
  const nodes = cache.size;
  await cache.close();
  await c.close();
  return {
    loadMs: round(loadMs),
    nodes,
    heapBytesPerNode: round(heapPerNode),
    requestsPerNode: round((after.packets - before.packets) / nodes),
  };
}

/** C2: one writer session sets random nodes at ~1,000/s, each write's send time in its data; the cache's event latency. */
export async function c2(server: Server, sizes: Sizes, ns: string): Promise<Figures> {
  const [reader, writer] = await Promise.all([client(server, ns), client(server, ns)]);
  const cache = new CuratorCache(reader, '/c2');
  const latencies: number[] = [];
  const origin = process.hrtime.bigint();
  const now = () => Number(process.hrtime.bigint() - origin) / 1e6;
  cache.on('changed', (node) => latencies.push(now() - Number(node.data.toString())));
  await cache.start();
  const paths = cache
    .entries()
    .map(([p]) => p)
    .filter((p) => p.includes('/n'));
  const finals = new Map<string, string>();
  const write = async (count: number) => {
    const pending: Promise<unknown>[] = [];
    const begin = now();
    for (let i = 0; i < count; i++) {
      const due = begin + i; // 1 per ms
      const wait = due - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const path = paths[Math.floor(Math.random() * paths.length)] as string;
      const value = String(now());
      finals.set(path, value);
      pending.push(writer.setData(path, Buffer.from(value)));
    }
    await Promise.all(pending);
  };
  await write(500); // warm-up
  await cache.sync();
  latencies.length = 0;
  const before = await counters(server);
  await write(sizes.c2Writes);
  await cache.sync();
  const after = await counters(server);
  const missed = [...finals].filter(([path, value]) => cache.get(path)?.data.toString() !== value).length;
  await cache.close();
  await Promise.all([reader.close(), writer.close()]);
  return {
    eventP50Ms: round(percentile(latencies, 50)),
    eventP99Ms: round(percentile(latencies, 99)),
    // every request the server got, less the writes themselves and our one sync: what the cache cost per change
    requestsPerChange: round((after.packets - before.packets - sizes.c2Writes - 1) / sizes.c2Writes),
    missedFinalStates: missed,
  };
}
