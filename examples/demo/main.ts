/**
 * `npm run demo`: the three jobs zk-recipes exists for, with real separate worker processes
 * against a ZooKeeper this demo starts by itself (or ZK_CONNECT_STRING):
 *   1. leader election among clustered workers — the leader is killed midway and another takes over;
 *   2. a re-entrant mutex across processes guarding a shared counter — the final count is exact;
 *   3. semaphore-limited jobs — at most 2 at once, shown live;
 *   4. partitioned work among clustered workers — a worker is killed and only its shards move.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ZkClient } from 'zk-recipes';
import { deleteRecursive, TestingServer } from 'zk-recipes/testing';
import { bold, children, colours, exited, green, red, say, startWorker, stamp, t0, tty, until, yellow } from './kit.js';
import { partitionedWork } from './partitions.js';

async function leaderElection(cs: string, ns: string): Promise<string> {
  console.log(bold('\n1. Leader election among clustered workers'));
  const leaders: string[] = [];
  const procs = new Map<string, ChildProcess>();
  const ids = ['worker-1', 'worker-2', 'worker-3'];
  for (const [i, id] of ids.entries()) {
    const colour = colours[i] ?? ((s: string) => s);
    procs.set(
      id,
      startWorker('leader', cs, ns, id, (e) => {
        if (e.event === 'joined') say(`${colour(id)} joined the election`);
        if (e.event === 'leader') {
          leaders.push(id);
          say(`${colour(id)} ${yellow('★ is the leader')}`);
        }
        if (e.event === 'work') say(`${colour(id)} leads: scheduling work`);
      }),
    );
    await until(() => false, 300); // join one after the other: leadership follows join order
  }
  await until(() => leaders.length > 0, 10_000);
  await until(() => false, 1200);
  const first = leaders[0] ?? '?';
  say(red(`killing ${first} (SIGKILL): its session expires on the server after the session timeout`));
  const killedAt = Date.now();
  procs.get(first)?.kill('SIGKILL');
  const handedOver = await until(() => leaders.length > 1, 15_000);
  const handover = ((Date.now() - killedAt) / 1000).toFixed(1);
  if (handedOver) say(green(`${leaders[1]} took over ${handover}s after the crash`));
  await until(() => false, 900);
  for (const child of procs.values()) child.kill('SIGTERM');
  await Promise.all([...procs.values()].map(exited));
  if (!handedOver) throw new Error('no hand-over happened');
  return `${first} led, was killed; ${leaders[1]} took over in ${handover}s`;
}

async function counter(cs: string, ns: string): Promise<string> {
  console.log(bold('\n2. A re-entrant mutex across processes guarding a shared counter'));
  const workers = 4;
  const rounds = 25;
  const procs = Array.from({ length: workers }, (_, i) => {
    const colour = colours[i] ?? ((s: string) => s);
    return startWorker(
      'counter',
      cs,
      ns,
      `worker-${i + 1}`,
      (e) => {
        if (e.event === 'progress') say(`${colour(e.id)} ${e.done}/${e.of} increments`);
      },
      String(rounds),
    );
  });
  await Promise.all(procs.map(exited));
  const client = new ZkClient({ connectString: cs, namespace: ns });
  await client.start();
  const value = Number((await client.getData('/counter')).data.toString());
  await client.close();
  const expected = workers * rounds;
  say(
    value === expected
      ? green(`counter = ${value} (expected ${expected}): no lost update`)
      : red(`counter = ${value}, expected ${expected}`),
  );
  if (value !== expected) throw new Error(`lost updates: ${value} != ${expected}`);
  return `${workers} processes × ${rounds} increments = ${value}, exact`;
}

async function semaphoreJobs(cs: string, ns: string): Promise<string> {
  console.log(bold('\n3. Semaphore-limited jobs: at most 2 run at once'));
  const intervals = new Map<string, { start: number; end?: number }>();
  let running = 0;
  let done = 0;
  const total = 5 * 4;
  const bar = () => {
    const line = `running ${'█'.repeat(running)}${'░'.repeat(Math.max(0, 2 - running))} ${running}/2   done ${'▮'.repeat(done)}${'·'.repeat(total - done)} ${done}/${total}`;
    if (tty) process.stdout.write(`\r${stamp()} ${line}`);
    else say(line);
  };
  const procs = Array.from({ length: 5 }, (_, i) =>
    startWorker(
      'jobs',
      cs,
      ns,
      `worker-${i + 1}`,
      (e) => {
        const key = `${e.id}#${e.job}`;
        if (e.event === 'job-start') {
          intervals.set(key, { start: e.t });
          running++;
        }
        if (e.event === 'job-end') {
          const interval = intervals.get(key);
          if (interval) interval.end = e.t;
          running = Math.max(0, running - 1);
          done++;
        }
        // A live bar on a terminal; when piped, one line per finished job is plenty.
        if (tty ? e.event === 'job-start' || e.event === 'job-end' : e.event === 'job-end') bar();
      },
      '4',
    ),
  );
  await Promise.all(procs.map(exited));
  if (tty) process.stdout.write('\n');
  // Authoritative check on the workers' own timestamps (each taken inside the hold).
  const points = [...intervals.values()].flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end ?? Number.POSITIVE_INFINITY, d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let peak = 0;
  for (const p of points) {
    now += p.d;
    peak = Math.max(peak, now);
  }
  say(peak <= 2 ? green(`peak concurrency ${peak} of 2 seats over ${intervals.size} jobs`) : red(`peak concurrency ${peak} > 2`));
  if (peak > 2 || intervals.size !== total) throw new Error('semaphore limit broken or jobs missing');
  return `${intervals.size} jobs from 5 processes, peak ${peak} of 2 seats`;
}

async function main(): Promise<number> {
  console.log(bold('zk-recipes demo'));
  let server: TestingServer | undefined;
  let cs = process.env.ZK_CONNECT_STRING;
  if (cs) say(`using ZooKeeper at ${cs} (ZK_CONNECT_STRING)`);
  else {
    try {
      server = await TestingServer.start();
      cs = server.connectString;
      say(`started ZooKeeper at ${cs} (testing kit)`);
    } catch (error) {
      // a missing ZooKeeper's error says exactly what to install
      console.error(red(`Could not start ZooKeeper: ${(error as Error).message}`));
      return 1;
    }
  }
  const ns = `/zk-recipes-demo-${randomUUID().slice(0, 8)}`;
  const results: [string, string, boolean][] = [];
  try {
    for (const [name, part] of [
      ['leader election', leaderElection],
      ['re-entrant mutex', counter],
      ['semaphore jobs', semaphoreJobs],
      ['partitioned work', partitionedWork],
    ] as const) {
      try {
        results.push([name, await part(cs, ns), true]);
      } catch (error) {
        results.push([name, (error as Error).message, false]);
      }
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
    const admin = new ZkClient({ connectString: cs });
    await admin.start();
    await deleteRecursive(admin, ns);
    await admin.close();
    await server?.stop();
  }
  console.log(bold('\nSummary'));
  for (const [name, text, ok] of results) console.log(`  ${ok ? green('✔') : red('✘')} ${name.padEnd(18)} ${text}`);
  const ok = results.every(([, , passed]) => passed);
  console.log(
    ok
      ? green(`\nAll good in ${((Date.now() - t0) / 1000).toFixed(1)}s; every process and server stopped.`)
      : red('\nSomething failed (see above).'),
  );
  return ok ? 0 : 1;
}

process.exitCode = await main();
