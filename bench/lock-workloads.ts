/**
 * The lock workloads every TTL backend's bench runs, over "contenders" (one connection's lock
 * each) that a backend makes: U uncontended cycles, C contended for a fixed time (exclusion,
 * owner changes, arrival order), H a herd of waiters draining. Requests are counted by the
 * backend's own counter (client-side).
 */
import { percentile, round } from './stats.js';
import type { Figures } from './workloads.js';

/** One connection's lock: acquire resolves to a release function. */
export interface Contender {
  acquire(): Promise<() => Promise<unknown>>;
  close(): Promise<void>;
}

/** Makes `n` contenders for one fresh lock. */
export type ContenderFactory = (n: number) => Promise<Contender[]>;

/** Starts counting the requests the contenders send; `stop()` returns the count. */
export type RequestCounter = () => { stop: () => number };

/** Sizes of the lock workloads. */
export interface LockSizes {
  readonly warmup: number;
  readonly cycles: number;
  readonly clients: number;
  readonly contendedMs: number;
  readonly waiters: number;
}

const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

async function withContenders<T>(make: ContenderFactory, n: number, run: (cs: Contender[]) => Promise<T>): Promise<T> {
  const cs = await make(n);
  try {
    return await run(cs);
  } finally {
    await Promise.all(cs.map((c) => c.close()));
  }
}

async function cycles(c: Contender, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await (await c.acquire())();
}

/** U: one connection, acquire/release cycles. */
export async function uncontended(make: ContenderFactory, sizes: LockSizes, countRequests: RequestCounter): Promise<Figures> {
  return withContenders(make, 1, async ([c]) => {
    const one = c as Contender;
    await cycles(one, sizes.warmup);
    const requests = countRequests();
    const cpu = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await cycles(one, sizes.cycles);
    const elapsed = ms(t0);
    const d = process.cpuUsage(cpu);
    const sent = requests.stop();
    return {
      cyclesPerSec: round((sizes.cycles / elapsed) * 1000),
      requestsPerCycle: round(sent / sizes.cycles),
      clientCpuUsPerCycle: round((d.user + d.system) / sizes.cycles),
    };
  });
}

/** C: `clients` connections contending for a fixed time, an await inside the hold, exclusion checked. */
export async function contended(make: ContenderFactory, sizes: LockSizes): Promise<Figures> {
  return withContenders(make, sizes.clients, async (cs) => {
    await Promise.all(cs.map((c) => cycles(c, Math.max(1, Math.round(sizes.warmup / cs.length)))));
    let inside = 0;
    let violations = 0;
    let grants = 0;
    let ownerChanges = 0;
    let outOfOrder = 0;
    let lastOwner = -1;
    let arrivals = 0;
    const pending = new Set<number>(); // arrival numbers of waits not yet granted
    const waits: number[] = [];
    const stopAt = Date.now() + sizes.contendedMs;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      cs.map(async (c, who) => {
        while (Date.now() < stopAt) {
          const arrival = arrivals++;
          pending.add(arrival);
          const asked = process.hrtime.bigint();
          const release = await c.acquire();
          waits.push(ms(asked));
          pending.delete(arrival);
          // out of order: someone who asked earlier is still waiting
          for (const p of pending) {
            if (p < arrival) {
              outOfOrder++;
              break;
            }
          }
          grants++;
          if (who !== lastOwner) ownerChanges++;
          lastOwner = who;
          inside++;
          if (inside > 1) violations++;
          await yieldNow();
          inside--;
          await release();
        }
      }),
    );
    const seconds = ms(t0) / 1000;
    return {
      grantsPerSec: round(grants / seconds),
      ownerChangesPerSec: round(ownerChanges / seconds),
      waitP50Ms: round(percentile(waits, 50)),
      waitP99Ms: round(percentile(waits, 99)),
      outOfOrderPct: round((outOfOrder / Math.max(1, grants)) * 100),
      violations,
    };
  });
}

/** H: `waiters` connections queued behind a holder, then the queue drains. */
export async function herd(make: ContenderFactory, sizes: LockSizes, countRequests: RequestCounter): Promise<Figures> {
  return withContenders(make, sizes.waiters + 1, async ([holder, ...waiters]) => {
    await cycles(holder as Contender, Math.min(sizes.warmup, 50));
    const release = await (holder as Contender).acquire();
    const done = waiters.map(async (w) => (await w.acquire())());
    await new Promise((resolve) => setTimeout(resolve, 300)); // every waiter asked (and polls, for pollers)
    const requests = countRequests();
    const t0 = process.hrtime.bigint();
    await release();
    await Promise.all(done);
    const elapsed = ms(t0);
    const sent = requests.stop();
    return {
      handoffMs: round(elapsed / waiters.length),
      requestsPerHandoff: round(sent / waiters.length),
    };
  });
}
