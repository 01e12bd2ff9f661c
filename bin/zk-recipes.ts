#!/usr/bin/env node
/**
 * The zk-recipes command-line tool: inspect what lives at a path, print a subtree, ask a lock
 * holder to give its lock up (Curator-compatible revocation).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CONNECTION_FLAGS, clientOptionsFrom } from './connection-options.js';
import { devServer } from './dev-server.js';
import { HELP } from './help.js';
import { renderTable } from './table.js';
import { InspectFailure, inspectTtlLock, ttlJson, ttlTable } from './ttl-inspect.js';
import {
  ConnectionLossError,
  type InspectReport,
  inspectRecipe,
  joinPath,
  NoAuthError,
  NoNodeError,
  revoke,
  validatePath,
  ZkClient,
  type ZkClientOptions,
  ZkRecipesError,
} from '../recipes/index.js';
import { NO_SESSION } from '../src/zookeeper/session-id.js';

class UsageError extends Error {}

/** The version of the installed package: the nearest package.json above this file (dist/bin or bin). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'zk-recipes' && pkg.version) return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

function age(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.floor((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.floor((ms % 3_600_000) / 60_000)}m`;
}

function table(report: InspectReport): string {
  const rows = report.nodes.map((n, i) => [
    String(i + 1),
    n.role,
    n.name,
    n.session ?? '-',
    n.data.length > 30 ? `${n.data.slice(0, 27)}...` : n.data,
    age(n.ageMs),
  ]);
  const title = `${report.path}: ${report.kind} (${report.nodes.length} node${report.nodes.length === 1 ? '' : 's'})`;
  return renderTable(title, ['#', 'role', 'node', 'session', 'data/id', 'age'], rows);
}

async function connect(options: Pick<ZkClientOptions, 'connectString' | 'tls' | 'auth'>): Promise<ZkClient> {
  const client = new ZkClient({
    ...options,
    connectionTimeoutMs: 5000,
    retry: { maxRetries: 1, baseSleepMs: 100, maxSleepMs: 100 },
  });
  try {
    await client.start();
  } catch (error) {
    await client.close();
    // the message names the host and why the last attempt failed (ECONNREFUSED, ENOTFOUND, ...)
    if (error instanceof ConnectionLossError) throw new ZkRecipesError('UNREACHABLE', `${error.message} Pass --connect host:port.`);
    throw error;
  }
  return client;
}

async function inspect(client: ZkClient, path: string, json: boolean, watch: boolean): Promise<void> {
  const render = async (): Promise<InspectReport | undefined> => {
    let report: InspectReport;
    try {
      report = await inspectRecipe(client, path);
    } catch (error) {
      // With --watch, a path that is not there (yet, or any more: an idle lock's parent is removed
      // with its last node) is a state to show, not the end.
      if (!(watch && error instanceof NoNodeError)) throw error;
      if (json) console.log(JSON.stringify({ path, kind: 'absent', nodes: [] }));
      else console.log(`\n[${new Date().toISOString()}] ${path}: nothing there (waiting for it to appear)`);
      return undefined;
    }
    if (json) console.log(JSON.stringify(report));
    else console.log(`${watch ? `\n[${new Date().toISOString()}] ` : ''}${table(report)}`);
    return report;
  };
  let report = await render();
  if (!watch) return;
  const stop = new AbortController();
  // Made once, before any wait: a listener added after the abort would never fire.
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  process.once('SIGINT', () => stop.abort());
  while (!stop.signal.aborted) {
    const round = new AbortController();
    const signal = AbortSignal.any([stop.signal, round.signal]);
    const changes: Promise<unknown>[] = [];
    if (report) {
      const paths = [path, ...(report.kind === 'semaphore' ? [joinPath(path, 'leases'), joinPath(path, 'locks')] : [])];
      const watches = await Promise.all(paths.map((p) => client.watchChildren(p, { signal }).catch(() => undefined)));
      for (const w of watches) if (w) changes.push(w.changed.catch(() => undefined));
      if (watches[0] === undefined) changes.push(Promise.resolve()); // gone meanwhile: render again
    } else {
      const appears = await client.watchExists(path, { signal }).catch(() => undefined);
      if (appears?.value)
        changes.push(Promise.resolve()); // appeared meanwhile
      else if (appears) changes.push(appears.changed.catch(() => undefined));
    }
    await Promise.race([...changes, stopped]);
    round.abort();
    if (!stop.signal.aborted) report = await render();
  }
}

async function tree(client: ZkClient, path: string): Promise<void> {
  const walk = async (p: string, depth: number): Promise<void> => {
    const stat = await client.exists(p);
    if (!stat) return;
    const name = depth === 0 ? p : p.slice(p.lastIndexOf('/') + 1);
    const owner = stat.ephemeralOwner === NO_SESSION ? '' : `  [ephemeral ${stat.ephemeralOwner}]`;
    console.log(`${'  '.repeat(depth)}${name}${owner}`);
    let children: string[];
    try {
      ({ children } = await client.getChildren(p));
    } catch (error) {
      if (error instanceof NoNodeError) return; // deleted meanwhile
      if (!(error instanceof NoAuthError)) throw error;
      // not ours to read: say so where it is, instead of an empty subtree
      console.log(`${'  '.repeat(depth + 1)}[NO_AUTH: the children cannot be listed with these credentials]`);
      return;
    }
    for (const child of children.sort()) await walk(joinPath(p, child), depth + 1);
  };
  if (!(await client.exists(path))) throw new NoNodeError(path);
  await walk(path, 0);
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{
      options: typeof CONNECTION_FLAGS & {
        json: { type: 'boolean' };
        watch: { type: 'boolean' };
        help: { type: 'boolean'; short: 'h' };
        version: { type: 'boolean'; short: 'v' };
        redis: { type: 'string' };
        postgres: { type: 'string' };
        prefix: { type: 'string' };
        table: { type: 'string' };
        port: { type: 'string' };
        'with-redis': { type: 'boolean' };
        'with-postgres': { type: 'boolean' };
      };
      allowPositionals: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        ...CONNECTION_FLAGS,
        json: { type: 'boolean' },
        watch: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        redis: { type: 'string' },
        postgres: { type: 'string' },
        prefix: { type: 'string' },
        table: { type: 'string' },
        port: { type: 'string' },
        'with-redis': { type: 'boolean' },
        'with-postgres': { type: 'boolean' },
      },
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [command, target, ...extra] = parsed.positionals;
  if (parsed.values.version && !command) {
    console.log(packageVersion());
    return 0;
  }
  if (!command || (parsed.values.help && !HELP[command])) {
    console.log(HELP.main);
    return command || parsed.values.help ? 0 : 2;
  }
  if (!HELP[command] || command === 'main') throw new UsageError(`Unknown command "${command}".`);
  if (parsed.values.help) {
    console.log(HELP[command]);
    return 0;
  }
  const v = parsed.values;
  if (command === 'dev-server') {
    if (target) throw new UsageError(`Unexpected arguments: ${[target, ...extra].join(' ')}`);
    const port = Number(v.port ?? '2181');
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new UsageError(`--port must be a port number, got ${v.port}.`);
    await devServer({ port, redis: v['with-redis'] === true, postgres: v['with-postgres'] === true }, (line) => console.log(line));
    return 0;
  }
  if (!target) throw new UsageError(`${command} needs a ${command === 'inspect' ? 'path or lock name' : 'path'}.`);
  if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(' ')}`);
  if (v.redis !== undefined || v.postgres !== undefined) {
    if (command !== 'inspect') throw new UsageError('--redis and --postgres go with inspect.');
    if (v.redis !== undefined && v.postgres !== undefined) throw new UsageError('Pass --redis or --postgres, not both.');
    const report = await inspectTtlLock({ name: target, redis: v.redis, postgres: v.postgres, prefix: v.prefix, table: v.table });
    console.log(v.json ? ttlJson(report) : ttlTable(report, v.redis !== undefined ? 'Redis' : 'PostgreSQL'));
    return 0;
  }
  validatePath(target);
  let connection: ReturnType<typeof clientOptionsFrom>;
  try {
    connection = clientOptionsFrom(parsed.values, (message) => console.error(`zk-recipes: warning: ${message}`));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const client = await connect(connection);
  try {
    if (command === 'inspect') await inspect(client, target, parsed.values.json === true, parsed.values.watch === true);
    else if (command === 'tree') await tree(client, target);
    else if (command === 'revoke') {
      if (!(await client.exists(target))) throw new NoNodeError(target);
      await revoke(client, target); // refuses anything that is not a revocable recipe's lock node
      console.log(`Asked the holder of ${target} to release it (wrote __REVOKE__).`);
    }
  } finally {
    await client.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`zk-recipes: ${error.message}\n\n${HELP.main}`);
      process.exitCode = 2;
    } else if (error instanceof InspectFailure) {
      console.error(`zk-recipes: ${error.message}`);
      process.exitCode = 1;
    } else if (error instanceof NoNodeError) {
      console.error(`zk-recipes: no node at ${error.path}.`);
      process.exitCode = 1;
    } else if (error instanceof ZkRecipesError) {
      console.error(`zk-recipes: ${error.message}`);
      process.exitCode = error.code === 'INVALID_PATH' ? 2 : 1;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);
