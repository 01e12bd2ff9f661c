/**
 * What the chaos harnesses share: the seeded PRNG, starting a worker process and reading its
 * events, and stopping the workers at the end of a run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

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

/** One JSON event line of a worker (`t`: the worker's Date.now()). */
export interface WorkerEvent {
  readonly event: string;
  readonly t: number;
  readonly [field: string]: unknown;
}

/**
 * Starts a worker script under tsx. Each JSON line it prints goes to `onEvent`; an unhandled
 * rejection, a step hung past its deadline and an exit we did not cause become violations (with
 * the tail of its stderr). `CHAOS_DEBUG=1` echoes its stderr.
 */
export function spawnWorker(
  id: string,
  args: readonly string[],
  violations: string[],
  onEvent: (event: WorkerEvent, line: string) => void,
): WorkerSlot {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const slot: WorkerSlot = { id, child, killedByUs: false };
  let stderrTail = '';
  child.stderr?.on('data', (d) => {
    stderrTail = (stderrTail + d).slice(-1500);
    if (process.env.CHAOS_DEBUG) process.stderr.write(`[${id}] ${d}`);
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    let event: WorkerEvent;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.event === 'unhandled') violations.push(`${id}: unhandled rejection ${line}`);
    if (event.event === 'hung') violations.push(`${id}: an operation hung past its deadline ${line}`);
    onEvent(event, line);
  });
  child.once('exit', (code, signal) => {
    if (!slot.killedByUs && code !== 0 && !(slot.stopping && signal === 'SIGTERM'))
      violations.push(`${id} exited with ${code ?? signal}${stderrTail ? `: ${stderrTail.trim()}` : ''}`);
  });
  return slot;
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
