/**
 * The README's `ts` blocks as TypeScript modules a consumer could compile. A block may be a
 * fragment: names of the package it uses without importing them are imported for it (from the entry
 * it already imports from, else the first entry that exports the name, per docs/api-report.md), and
 * the few placeholders the prose stands for (`doWork`, a connected `client`, …) are declared once in
 * `readmeGlobals`. Everything else must compile as written.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Entry → exported names, read from the API report (the test of that report keeps it true). */
function entryExports(): Map<string, Set<string>> {
  const entries = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of readFileSync(join(root, 'docs/api-report.md'), 'utf8').split('\n')) {
    const heading = /^## `([^`]+)`/.exec(line);
    if (heading) {
      current = new Set();
      entries.set(heading[1] as string, current);
    }
    const name = /^- `([A-Za-z_$][\w$]*)`/.exec(line);
    if (name && current) current.add(name[1] as string);
  }
  return entries;
}

export interface ReadmeBlock {
  /** The README line of the opening fence. */
  line: number;
  source: string;
}

export function readmeBlocks(readme: string): ReadmeBlock[] {
  const exportsByEntry = entryExports();
  const blocks: ReadmeBlock[] = [];
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```ts') continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && lines[i]?.trim() !== '```') body.push(lines[i] as string);
    const code = body.join('\n');
    const imported = new Set<string>();
    const fromEntries: string[] = [];
    for (const m of code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
      fromEntries.push(m[2] as string);
      for (const spec of (m[1] as string).split(',')) {
        const local = spec
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)
          .pop();
        if (local) imported.add(local);
      }
    }
    const order = [...new Set([...fromEntries, ...exportsByEntry.keys()])];
    const wanted = new Map<string, string[]>();
    const withoutComments = code.replace(/\/\/.*$/gm, '').replace(/'[^'\n]*'/g, "''");
    for (const word of new Set(withoutComments.match(/\b[A-Za-z_$][\w$]*\b/g) ?? [])) {
      if (imported.has(word)) continue;
      const entry = order.find((e) => exportsByEntry.get(e)?.has(word));
      if (entry) wanted.set(entry, [...(wanted.get(entry) ?? []), word]);
    }
    const prelude = [...wanted].map(([entry, names]) => `import { ${names.join(', ')} } from '${entry}';`);
    blocks.push({ line: start + 1, source: `${prelude.join('\n')}\n${code}\nexport {};\n` });
  }
  return blocks;
}

/** What the README's fragments take as given: the user's own objects and work, by the names the prose uses. */
export const readmeGlobals = `
import type { InterProcessMutex, ZkClient } from 'zk-recipes';
import type { createClient } from 'redis';
declare global {
  /** A started client (the Quick start makes one). */
  const client: ZkClient;
  /** A mutex (the Quick start makes one). */
  const mutex: InterProcessMutex;
  /** A connected node-redis client (the Redis section makes one). */
  const redis: ReturnType<typeof createClient>;
  /** The process's shutdown controller (see "Stopping a process"). */
  const shutdown: AbortController;
  const signal: AbortSignal;
  /** A fenced resource and what is written to it. */
  const store: { write(value: unknown, options: { fencingToken: bigint; signal?: AbortSignal }): Promise<void> };
  const value: unknown;
  const data: unknown;
  const file: string;
  const log: { warn(error: unknown): void };
  const histogram: { record(value: number): void };
  const scheduler: { start(): void; stop(): void };
  /** The user's own work. */
  type Work = (options?: { signal?: AbortSignal; fencingToken?: bigint }) => Promise<void>;
  const doWork: Work;
  const render: Work;
  const compactOnce: Work;
  const work: Work;
  const rebuild: Work;
  const publish: Work;
  const readCatalog: Work;
  const reloadJobs: Work;
  function encode(file: string, options: { signal: AbortSignal }): Promise<void>;
}
export {};
`;
