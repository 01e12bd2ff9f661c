/**
 * The chaos harness: a 3-server ensemble, worker processes incrementing a fenced shared record
 * under an InterProcessMutex, a seeded fault scheduler, and a checker over the logs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ZkClient } from '../../src/index.js';
import { closeSessionFromOutside, FaultProxy, fourLetterWord, TestingCluster } from '../../src/testing/index.js';
import { prng, stopWorkers } from './harness-kit.js';
import { GuardedStore, SemaphoreStore } from './store.js';
import { checkAssignmentMoves, checkPartitionLog, PartitionStore } from './partition-store.js';
import { PartitionWatch, partitionNames } from './partition-watch.js';

export const FAULT_KINDS = [
  'kill-member',
  'kill-quorum',
  'kill-connected',
  'cut-link',
  'pause-link',
  'expire-session',
  'sigstop-holder',
  'sigkill-worker',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  readonly durationS: number;
  /**
   * `mutex` (default): one token per acquisition. `leader`: one token per leadership term.
   * `semaphore`: at most 2 holders. `partition`: a WorkPartitioner, one fenced record per partition.
   */
  readonly recipe?: ChaosRecipe;
  readonly seed: number;
  readonly workers?: number;
  readonly log?: (line: string) => void;
  /** Workers talk mutual TLS to the ensemble's secure ports (through the fault proxies). */
  readonly tls?: boolean;
}

export type ChaosRecipe = 'mutex' | 'leader' | 'semaphore' | 'partition';

export interface ChaosReport {
  readonly recipe: ChaosRecipe;
  readonly seed: number;
  readonly durationS: number;
  readonly operations: { acquired: number; accepted: number; fenced: number; errors: number };
  readonly faults: Record<FaultKind, number>;
  readonly faultLog: { t: number; kind: FaultKind; target: string }[];
  readonly finalValue: number;
  readonly leakedEphemeralNodes: string[];
  readonly violations: string[];
  /** The partition run: how long a killed worker's partitions went unowned, and how much each assignment moved. */
  readonly partition?: { readonly reownMs: number[]; readonly assignments: number; readonly worstMoveRatio: number };
}

/** A killed worker's partitions must have a new owner within the session timeout plus this. */
export const REOWN_BOUND_MS = 20_000;

const SESSION_TIMEOUT_MS = 2000;
const NAMESPACE = '/chaos';
const workerFile = fileURLToPath(new URL('./worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Slot {
  id: string;
  proxies: FaultProxy[];
  child: ChildProcess;
  session?: string;
  password?: string;
  holding: boolean;
  killedByUs: boolean;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const say = options.log ?? (() => {});
  const recipe = options.recipe ?? 'mutex';
  const random = prng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const violations: string[] = [];
  const ops = { acquired: 0, accepted: 0, fenced: 0, errors: 0 };
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const faultLog: ChaosReport['faultLog'] = [];
  const t0 = Date.now();

  const cluster = await TestingCluster.start({ size: 3, tls: options.tls ? { clientAuth: 'need' } : undefined });
  // Workers read the client certificate from files (one directory for the run).
  const tlsDir = cluster.tls ? mkdtempSync(join(tmpdir(), 'zk-recipes-chaos-tls-')) : undefined;
  if (tlsDir && cluster.tls) {
    for (const [name, pem] of [
      ['ca.pem', cluster.tls.ca],
      ['cert.pem', cluster.tls.cert],
      ['key.pem', cluster.tls.key],
    ] as const) {
      writeFileSync(join(tlsDir, name), pem);
    }
  }
  // Workers reach member m through a proxy to its client port (or its TLS port).
  const targetOf = (m: number) => cluster.tls?.connectStrings[m] ?? cluster.connectStringOf(m);
  // The semaphore's resource checks lease nodes on the ensemble itself.
  const checker = new ZkClient({
    connectString: cluster.connectString,
    sessionTimeoutMs: 4000,
    connectionTimeoutMs: 5000,
    operationTimeoutMs: 3000,
  });
  await checker.start();
  const store =
    recipe === 'semaphore'
      ? new SemaphoreStore(2, async (path) => (await checker.exists(path)) !== null)
      : recipe === 'partition'
        ? new PartitionStore()
        : new GuardedStore();
  const partitions =
    recipe === 'partition' ? new PartitionWatch(checker, `${NAMESPACE}/partition/assignment`, () => Date.now() - t0) : undefined;
  await partitions?.start();
  await store.start();
  const slots: Slot[] = [];
  let generation = 0;

  const startWorker = async (index: number, proxies?: FaultProxy[]): Promise<Slot> => {
    const ps = proxies ?? (await Promise.all([0, 1, 2].map((m) => FaultProxy.start(targetOf(m)))));
    const id = `w${index}.${generation++}`;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        workerFile,
        id,
        ps.map((p) => p.connectString).join(','),
        NAMESPACE,
        String(store.port),
        String(SESSION_TIMEOUT_MS),
        recipe,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: tlsDir ? { ...process.env, ZK_CHAOS_TLS_DIR: tlsDir } : process.env,
      },
    );
    const slot: Slot = { id, proxies: ps, child, holding: false, killedByUs: false };
    let stderrTail = '';
    child.stderr?.on('data', (d) => {
      stderrTail = (stderrTail + d).slice(-1500); // kept for the violation message
      if (process.env.CHAOS_DEBUG) process.stderr.write(`[${id}] ${d}`);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let e: { event: string; session?: string; password?: string; partition?: string };
      try {
        e = JSON.parse(line);
      } catch {
        return;
      }
      if (e.event === 'state' && e.session) {
        slot.session = e.session;
        slot.password = e.password;
      }
      if (e.event === 'acquired') {
        ops.acquired++;
        slot.holding = true;
      }
      if (e.event === 'released') slot.holding = false;
      if (e.event === 'wrote') ops.accepted++;
      if (e.event === 'fenced') ops.fenced++;
      if (e.event === 'error') ops.errors++;
      if (e.event === 'assigned') {
        ops.acquired++;
        partitions?.assigned(id, e.partition ?? '');
      }
      if (e.event === 'revoked') partitions?.revoked(id, e.partition ?? '');
      if (e.event === 'unhandled') violations.push(`${id}: unhandled rejection ${line}`);
      if (e.event === 'hung') violations.push(`${id}: an operation hung past its deadline ${line}`);
    });
    child.once('exit', (code, signal) => {
      if (!slot.killedByUs && code !== 0)
        violations.push(`${id} exited with ${code ?? signal}${stderrTail ? `: ${stderrTail.trim()}` : ''}`);
    });
    slots[index] = slot;
    return slot;
  };

  const workerCount = options.workers ?? (recipe === 'partition' ? 5 : 4);
  for (let i = 0; i < workerCount; i++) await startWorker(i);

  const connectedMember = async (slot: Slot): Promise<number> => {
    if (!slot.session) return -1;
    // `cons` on the plain port does not list TLS connections: there, the worker's one proxy with
    // a live connection tells which member serves it (proxy m leads to member m).
    if (cluster.tls) return slot.proxies.findIndex((p) => p.connectionCount > 0);
    const sid = `sid=${slot.session}`; // sessionId is written as cons writes it
    for (let m = 0; m < cluster.size; m++) {
      if ((await fourLetterWord('127.0.0.1', cluster.portOf(m), 'cons', 1000)).includes(sid)) return m;
    }
    return -1;
  };

  const apply = async (kind: FaultKind): Promise<string> => {
    const slot = pick(slots);
    switch (kind) {
      case 'kill-member': {
        const m = Math.floor(random() * cluster.size);
        await cluster.kill(m);
        await sleep(1500 + random() * 1500);
        await cluster.restart(m);
        return `member ${m}`;
      }
      case 'kill-quorum': {
        const a = Math.floor(random() * cluster.size);
        const b = (a + 1) % cluster.size;
        await Promise.all([cluster.kill(a), cluster.kill(b)]);
        await sleep(1500 + random() * 1500);
        await Promise.all([cluster.restart(a), cluster.restart(b)]);
        return `members ${a},${b} (quorum lost)`;
      }
      case 'kill-connected': {
        const m = await connectedMember(slot);
        const target = m >= 0 ? m : Math.floor(random() * cluster.size);
        await cluster.kill(target);
        await sleep(1500);
        await cluster.restart(target);
        return `member ${target} serving ${slot.id}`;
      }
      case 'cut-link':
        for (const p of slot.proxies) p.cut();
        return slot.id;
      case 'pause-link':
        for (const p of slot.proxies) p.pause();
        await sleep(SESSION_TIMEOUT_MS * 1.5);
        for (const p of slot.proxies) p.resume();
        return slot.id;
      case 'expire-session':
        if (slot.session && slot.password) {
          await closeSessionFromOutside(
            cluster.connectString,
            {
              sessionId: Buffer.from(BigInt(slot.session).toString(16).padStart(16, '0'), 'hex'),
              password: Buffer.from(slot.password, 'hex'),
            },
            SESSION_TIMEOUT_MS,
            10_000,
          ).catch(() => undefined);
        }
        return slot.id;
      case 'sigstop-holder': {
        const holder = slots.find((s) => s.holding) ?? slot;
        holder.child.kill('SIGSTOP');
        await sleep(SESSION_TIMEOUT_MS * 1.5 + 500); // a "GC pause" past the session timeout
        holder.child.kill('SIGCONT');
        return holder.id;
      }
      case 'sigkill-worker': {
        const index = slots.indexOf(slot);
        slot.killedByUs = true;
        slot.child.kill('SIGKILL');
        partitions?.killed(slot.id);
        await startWorker(index, slot.proxies);
        return `${slot.id} (restarted as ${slots[index]?.id})`;
      }
    }
  };

  // Every kind once (in a seeded order), then seeded picks until the time is up.
  const order = [...FAULT_KINDS].sort(() => random() - 0.5);
  const deadline = t0 + options.durationS * 1000;
  while (Date.now() < deadline) {
    await sleep(800 + random() * 1200);
    const kind = order.shift() ?? pick(FAULT_KINDS);
    const target = await apply(kind);
    faults[kind]++;
    faultLog.push({ t: Date.now() - t0, kind, target });
    say(`[+${((Date.now() - t0) / 1000).toFixed(1)}s] fault ${kind} → ${target}`);
  }

  // Heal, stop the workers, and give expired sessions one timeout to vanish.
  for (const s of slots) for (const p of s.proxies) p.resume();
  // Liveness of the partition run: once healed, every partition has an owner again in bound (a
  // member stuck behind its own unreleased lock node, say, would leave one without).
  if (partitions) await partitions.waitAllOwned(SESSION_TIMEOUT_MS + REOWN_BOUND_MS, violations);
  await stopWorkers(slots, violations);
  await sleep(SESSION_TIMEOUT_MS * 2);

  const admin = new ZkClient({ connectString: cluster.connectString, sessionTimeoutMs: 4000, connectionTimeoutMs: 20_000 });
  const leaked: string[] = [];
  try {
    await admin.start();
    const walk = async (path: string): Promise<void> => {
      const { children } = await admin.getChildren(path).catch(() => ({ children: [] as string[] }));
      for (const c of children) {
        const full = path === '/' ? `/${c}` : `${path}/${c}`;
        const stat = await admin.exists(full);
        if (stat && stat.ephemeralOwner !== '0x0') leaked.push(full);
        await walk(full);
      }
    };
    await walk(NAMESPACE);
  } finally {
    await admin.close();
  }
  for (const s of slots) for (const p of s.proxies) await p.close();
  await store.stop();
  await partitions?.stop();
  await checker.close();
  await cluster.stop();
  if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });

  if (store instanceof PartitionStore) {
    const watch = partitions as PartitionWatch;
    const acceptedCount = checkPartitionLog(store, violations);
    const worstMoveRatio = checkAssignmentMoves(watch.history, partitionNames(), 1.5, violations);
    const reownMs = watch.reownTimes(SESSION_TIMEOUT_MS + REOWN_BOUND_MS, violations);
    if (leaked.length > 0) violations.push(`${leaked.length} ephemeral node(s) left: ${leaked.join(', ')}`);
    return {
      recipe,
      seed: options.seed,
      durationS: options.durationS,
      operations: { ...ops, accepted: acceptedCount, fenced: store.log.length - acceptedCount },
      faults,
      faultLog,
      finalValue: acceptedCount,
      leakedEphemeralNodes: leaked,
      violations,
      partition: { reownMs, assignments: watch.history.length, worstMoveRatio },
    };
  }

  if (store instanceof SemaphoreStore) {
    // (2) Never more than maxLeases holders with live leases inside at once.
    for (const e of store.log.filter((x) => x.overGrant))
      violations.push(`semaphore over-granted: ${e.worker} entered while ${store.maxLeases} live holders were inside`);
    if (leaked.length > 0) violations.push(`${leaked.length} ephemeral node(s) left: ${leaked.join(', ')}`);
    const entered = store.log.filter((x) => x.kind === 'enter' && x.accepted).length;
    return {
      recipe,
      seed: options.seed,
      durationS: options.durationS,
      operations: { ...ops, accepted: entered, fenced: store.log.filter((x) => !x.accepted).length },
      faults,
      faultLog,
      finalValue: entered,
      leakedEphemeralNodes: leaked,
      violations,
    };
  }

  // (1) Accepted writes: one increasing token sequence, and no lost update.
  const acceptedCount = checkFencedLog(store, recipe === 'mutex', violations);
  // (4) No znode of any worker remains.
  if (leaked.length > 0) violations.push(`${leaked.length} ephemeral node(s) left: ${leaked.join(', ')}`);

  return {
    recipe,
    seed: options.seed,
    durationS: options.durationS,
    operations: { ...ops, accepted: acceptedCount, fenced: store.log.length - acceptedCount },
    faults,
    faultLog,
    finalValue: store.value,
    leakedEphemeralNodes: leaked,
    violations,
  };
}

/**
 * The checker of every mutex-style run, whatever the backend: the accepted writes form one
 * increasing token sequence (strictly, per acquisition, when `strict`; per term for the leader, so
 * terms never interleave), no update is lost, and the final value is the number of accepted
 * increments. Returns that number.
 */
export function checkFencedLog(store: GuardedStore, strict: boolean, violations: string[]): number {
  let expected = 0;
  let lastToken = -1n;
  for (const w of store.log.filter((x) => x.accepted)) {
    const token = BigInt(w.token);
    if (strict ? token <= lastToken : token < lastToken) violations.push(`accepted token ${token} after ${lastToken} (${w.worker})`);
    if (w.readValue !== expected) violations.push(`lost update: ${w.worker} read ${w.readValue}, record was ${expected}`);
    lastToken = token;
    expected = w.value;
  }
  const acceptedCount = store.log.filter((x) => x.accepted).length;
  if (store.value !== acceptedCount) violations.push(`final value ${store.value} != ${acceptedCount} accepted increments`);
  return acceptedCount;
}

/** The summary table printed after a run. */
export function formatReport(r: ChaosReport): string {
  const rows = [
    `chaos run: ${r.recipe}, seed ${r.seed}, ${r.durationS} s`,
    '| measure | value |',
    '|---|---|',
    `| ${{ mutex: 'locks acquired', leader: 'leader write cycles', semaphore: 'leases acquired', partition: 'partitions assigned' }[r.recipe]} | ${r.operations.acquired} |`,
    `| writes accepted | ${r.operations.accepted} |`,
    `| writes fenced off (stale holder saved by its token) | ${r.operations.fenced} |`,
    `| worker errors (retried) | ${r.operations.errors} |`,
    `| final value | ${r.finalValue} |`,
    ...FAULT_KINDS.map((k) => `| fault: ${k} | ${r.faults[k]} |`),
    ...(r.partition
      ? [
          `| assignments written (checked: moves ≤ 1.5× needed) | ${r.partition.assignments} (worst ${r.partition.worstMoveRatio.toFixed(2)}×) |`,
          `| killed workers' partitions owned again after (ms, max) | ${r.partition.reownMs.length ? Math.max(...r.partition.reownMs) : '-'} |`,
        ]
      : []),
    `| leaked nodes | ${r.leakedEphemeralNodes.length} |`,
    `| violations | ${r.violations.length} |`,
  ];
  if (r.violations.length > 0) rows.push('', ...r.violations.map((v) => `VIOLATION: ${v}`));
  return rows.join('\n');
}
