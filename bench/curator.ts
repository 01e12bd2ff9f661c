/** Runs one workload with Curator (bench/CuratorBench.java) against the same server. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { curatorClasspath } from '../src/testing/locate.js';
import { round } from './stats.js';
import { prepareFor } from './cache-workloads.js';
import { CURATOR_EQUIVALENT, counters, type Figures, type Server, type Sizes, type WorkloadName } from './workloads.js';

const JARS = curatorClasspath();

let compiled: string | undefined;
function compile(): string {
  if (compiled) return compiled;
  const dir = mkdtempSync(join(tmpdir(), 'zk-recipes-bench-'));
  const source = fileURLToPath(new URL('./CuratorBench.java', import.meta.url));
  const r = spawnSync('javac', ['-nowarn', '-cp', JARS.join(':'), '-d', dir, source], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`javac failed (is libcurator-recipes-java installed?):\n${r.stderr}`);
  compiled = dir;
  return dir;
}

export async function runCurator(server: Server, workload: WorkloadName, sizes: Sizes, ns: string): Promise<Figures> {
  const dir = compile();
  await prepareFor(workload, server, sizes, ns);
  const child = spawn(
    'java',
    [
      '-Xmx512m',
      '-cp',
      [...JARS, dir].join(':'),
      'CuratorBench',
      server.connectString,
      ns.slice(1),
      CURATOR_EQUIVALENT[workload],
      JSON.stringify(sizes),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`CuratorBench ${workload} ended early`);
    return JSON.parse(value as string) as Record<string, number | string>;
  };
  await next(); // ready: connected and warmed up
  const before = await counters(server);
  child.stdin.write('go\n');
  const result = await next();
  const after = await counters(server);
  child.stdin.end('bye\n');
  await new Promise((r) => child.once('exit', r));
  const figures: Figures = {};
  for (const [k, v] of Object.entries(result)) if (typeof v === 'number') figures[k] = v;
  const packets = after.packets - before.packets;
  const watches = after.watches - before.watches;
  const writes = after.writes - before.writes;
  if (workload === 'W1' || workload === 'W1L') {
    figures.requestsPerCycle = round(packets / sizes.w1Cycles);
    figures.writesPerCycle = round(writes / sizes.w1Cycles);
  }
  if (workload === 'W2') {
    figures.requestsPerAcquisition = round(packets / (sizes.w2Sessions * sizes.w2Cycles));
    figures.writesPerHandoff = round(writes / (sizes.w2Sessions * sizes.w2Cycles));
  }
  if (workload === 'W6') figures.writesPerHandoff = round(writes / (sizes.w6Flows * sizes.w6Cycles));
  if (workload === 'W3') figures.watchNotificationsPerHandoff = round(watches / sizes.w3Waiters);
  if (workload === 'C1') figures.requestsPerNode = round(packets / (figures.nodes ?? sizes.c1Nodes));
  if (workload === 'C2') figures.requestsPerChange = round((packets - sizes.c2Writes) / sizes.c2Writes);
  return figures;
}
