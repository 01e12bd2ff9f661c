/** Reads a child process's stdout line by line: `next()` resolves to the next line. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export function lines(child: ChildProcess): () => Promise<string> {
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else queue.push(line);
  });
  return () => new Promise((resolve) => (queue.length ? resolve(queue.shift() as string) : waiting.push(resolve)));
}

/**
 * Runs a TypeScript fixture to its exit (SIGKILLed after 25 s); resolves to the JSON lines it
 * printed, its exit code and how long it took to exit.
 */
export async function runJsonFixture(
  file: string,
  args: string[],
): Promise<{ lines: Record<string, unknown>[]; code: number | null; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(killer);
  const parsed = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines: parsed, code, ms: Date.now() - started };
}
