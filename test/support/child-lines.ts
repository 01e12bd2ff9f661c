/** Reads a child process's stdout line by line: `next()` resolves to the next line. */
import type { ChildProcess } from 'node:child_process';
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
