/**
 * What the demo's scenes share: colours, a timeline, and worker processes that report JSON events.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const tty = process.stdout.isTTY === true;
const paint = (code: number) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint(1);
export const dim = paint(2);
export const green = paint(32);
export const yellow = paint(33);
export const red = paint(31);
export const colours = [paint(36), paint(35), paint(34), paint(33), paint(32)];
export const t0 = Date.now();
export const stamp = () => dim(`[+${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`);
export const say = (line: string) => console.log(`${stamp()} ${line}`);

export interface Event {
  t: number;
  id: string;
  event: string;
  [key: string]: unknown;
}

const workerFile = fileURLToPath(new URL('./worker.ts', import.meta.url));
export const children = new Set<ChildProcess>();

export function startWorker(
  role: string,
  cs: string,
  ns: string,
  id: string,
  onEvent: (e: Event) => void,
  ...args: string[]
): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=zk-recipes-source', '--import', 'tsx', workerFile, role, cs, ns, id, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      onEvent(JSON.parse(line) as Event);
    } catch {
      // not an event line
    }
  });
  return child;
}

export const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
export const until = async (check: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
};
