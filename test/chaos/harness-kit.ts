/**
 * What both chaos harnesses (ZooKeeper's and the TTL backends') share: the seeded PRNG, and
 * stopping the workers at the end of a run.
 */
import type { ChildProcess } from 'node:child_process';

/** mulberry32: a small seeded PRNG, so a run can be repeated from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A worker process of a run. */
export interface WorkerSlot {
  readonly id: string;
  readonly child: ChildProcess;
  killedByUs: boolean;
  /** Told to stop: a worker still starting up dies of the SIGTERM itself, which is fine. */
  stopping?: boolean;
}

/** SIGTERMs every live worker (waking stopped ones) and waits; one that does not stop in 30 s is a violation. */
export async function stopWorkers(slots: readonly WorkerSlot[], violations: string[]): Promise<void> {
  await Promise.all(
    slots.map(async (s) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return;
      const exited = new Promise((r) => s.child.once('exit', r));
      s.stopping = true;
      s.child.kill('SIGCONT');
      s.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        violations.push(`${s.id} did not stop within 30 s`);
        s.killedByUs = true;
        s.child.kill('SIGKILL');
      }, 30_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}
