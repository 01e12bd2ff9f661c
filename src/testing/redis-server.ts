/**
 * TestingRedis: one real Redis server for tests, on a free loopback port with a temp dir, started
 * from a local `redis-server` (Debian's `redis-server` package, `REDIS_SERVER`, Homebrew) or, when
 * that is missing and a Docker engine answers, a `redis:7` container. Needs no Redis client.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, ZkRecipesError } from '../core/errors.js';
import { dockerAnswers } from './locate.js';
import { freePort } from './ports.js';
import { killHard, spawnGuarded } from './processes.js';
import { checkOptionKeys, describeValue } from '../core/options.js';

/** What to run when no Redis is found. */
export const REDIS_INSTALL_HINT = [
  'No redis-server found and no Docker engine answers. Run one of:',
  '  sudo apt-get update && sudo apt-get install -y redis-server   # Debian/Ubuntu',
  '  brew install redis                                            # macOS',
  '  export REDIS_SERVER=/path/to/redis-server                     # a build of your own',
].join('\n');

/** No Redis server could be found or started. */
export class RedisNotFoundError extends ZkRecipesError {
  constructor(message: string) {
    super('REDIS_NOT_FOUND', message);
  }
}

/** Options of {@link TestingRedis.start}. */
export interface TestingRedisOptions {
  /**
   * `'none'` (default): nothing survives a restart, as a cache-only Redis; `'aof'`: an append-only
   * file written on every write (`appendfsync always`), so a restart keeps every key;
   * `'aof-everysec'`: Redis's usual setting, which may lose up to a second of writes on a crash.
   */
  readonly persistence?: 'none' | 'aof' | 'aof-everysec';
  /** `busy-reply-threshold` (old name `lua-time-limit`): after how long a running script makes others get BUSY. @default 5000 */
  readonly busyReplyThresholdMs?: number;
  /** A fixed port. @default a free port */
  readonly port?: number;
  /** More settings, as on redis-server's command line, e.g. `{ 'cluster-enabled': 'yes' }`. */
  readonly config?: Readonly<Record<string, string>>;
}

/** Finds a local redis-server binary, or undefined. */
export function locateRedisServer(): string | undefined {
  const candidates = [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/opt/homebrew/bin/redis-server', '/usr/local/bin/redis-server'];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  return found || undefined;
}

/** Sends one inline command on a fresh connection and resolves to the raw reply. */
function rawCommand(port: number, host: string, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let reply = '';
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), timeoutMs);
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.endsWith('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

interface DockerContainer {
  getMappedPort(port: number): number;
  getHost(): string;
  stop(): Promise<unknown>;
}

/** One Redis server (a child process, or a container). Always `stop()` it. */
export class TestingRedis {
  readonly #binary: string | undefined;
  readonly #dir: string | undefined;
  readonly #args: readonly string[];
  readonly #host: string;
  readonly #port: number;
  readonly #container: DockerContainer | undefined;
  #child: ChildProcess | undefined;
  #stopped = false;

  private constructor(parts: {
    binary?: string;
    dir?: string;
    args?: readonly string[];
    host: string;
    port: number;
    container?: DockerContainer;
  }) {
    this.#binary = parts.binary;
    this.#dir = parts.dir;
    this.#args = parts.args ?? [];
    this.#host = parts.host;
    this.#port = parts.port;
    this.#container = parts.container;
  }

  /** Starts a server and resolves once it answers PING. */
  static async start(options: TestingRedisOptions = {}): Promise<TestingRedis> {
    checkOptionKeys('TestingRedis.start options', options, { persistence: true, busyReplyThresholdMs: true, port: true, config: true });
    const busy = options.busyReplyThresholdMs ?? 5000;
    if (!Number.isInteger(busy) || busy <= 0)
      throw new InvalidArgumentError(`busyReplyThresholdMs must be a positive integer, got ${describeValue(busy)}.`);
    const persistence = options.persistence ?? 'none';
    if (!['none', 'aof', 'aof-everysec'].includes(persistence)) {
      throw new InvalidArgumentError(`persistence must be 'none', 'aof' or 'aof-everysec', got ${describeValue(persistence)}.`);
    }
    const binary = locateRedisServer();
    if (!binary) {
      if (dockerAnswers()) return TestingRedis.#startDocker();
      throw new RedisNotFoundError(REDIS_INSTALL_HINT);
    }
    const dir = mkdtempSync(join(tmpdir(), 'zk-recipes-redis-'));
    const port = options.port ?? (await freePort());
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--save',
      '',
      '--appendonly',
      persistence === 'none' ? 'no' : 'yes',
      '--appendfsync',
      persistence === 'aof' ? 'always' : 'everysec',
      '--busy-reply-threshold',
      String(busy),
      '--logfile',
      join(dir, 'redis.log'),
    ];
    for (const [name, value] of Object.entries(options.config ?? {})) {
      if (!/^[a-z][a-z0-9-]*$/.test(name) || typeof value !== 'string')
        throw new InvalidArgumentError(`config: bad setting ${JSON.stringify(name)}.`);
      args.push(`--${name}`, value);
    }
    const server = new TestingRedis({ binary, dir, args, host: '127.0.0.1', port });
    try {
      await server.#spawn();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  static async #startDocker(): Promise<TestingRedis> {
    let tc: { GenericContainer: new (image: string) => unknown };
    try {
      tc = (await import('testcontainers')) as unknown as typeof tc;
    } catch {
      throw new RedisNotFoundError('A Docker engine answers but `testcontainers` is not installed: npm install -D testcontainers.');
    }
    const builder = new tc.GenericContainer('redis:7') as { withExposedPorts(p: number): { start(): Promise<DockerContainer> } };
    const container = await builder.withExposedPorts(6379).start();
    return new TestingRedis({ container, host: container.getHost(), port: container.getMappedPort(6379) });
  }

  async #spawn(untilLoaded = true): Promise<void> {
    if (!this.#binary || !this.#dir) throw new InvalidArgumentError('This needs a locally started server, not a container.');
    const child = spawnGuarded(this.#binary, this.#args, join(this.#dir, 'stdout.log'));
    this.#child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new RedisNotFoundError(`redis-server exited (${String(code)}) at start; see ${this.#dir}/redis.log.`)),
      ),
    );
    exited.catch(() => undefined);
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const reply = await Promise.race([rawCommand(this.#port, this.#host, 'PING'), exited]);
        if (reply.startsWith('+PONG') || (!untilLoaded && reply.startsWith('-LOADING'))) return;
        // -LOADING: still reading its append-only file
      } catch (error) {
        if (error instanceof RedisNotFoundError) throw error;
      }
      if (Date.now() > deadline) throw new RedisNotFoundError(`redis-server did not answer PING on port ${this.#port} within 15 s.`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** `redis://host:port`, for `createClient({ url })`. */
  get url(): string {
    return `redis://${this.#host}:${this.#port}`;
  }

  /** The server's host (loopback for local servers). */
  get host(): string {
    return this.#host;
  }

  /** The server's port. */
  get port(): number {
    return this.#port;
  }

  /** The server's process id (undefined for a container or a stopped server). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  #local(what: string): ChildProcess {
    if (!this.#child) throw new InvalidArgumentError(`${what} needs a locally started server, not a container.`);
    return this.#child;
  }

  /** SIGKILLs the server (no final save: what persistence had written stays for {@link restart}). */
  async kill(): Promise<void> {
    await killHard(this.#local('kill()'));
  }

  /**
   * Kills the server and starts it again on the same port and dir: with persistence `'none'` every
   * key is gone. Resolves once it answers PING — or, with `untilLoaded: false`, as soon as it
   * answers at all (`LOADING` while it reads its append-only file).
   */
  async restart(options: { readonly untilLoaded?: boolean } = {}): Promise<void> {
    await this.kill();
    await this.#spawn(options.untilLoaded !== false);
  }

  /** SIGSTOPs the server: connections stay open but nothing answers. */
  freeze(): void {
    this.#local('freeze()').kill('SIGSTOP');
  }

  /** SIGCONTs a frozen server. */
  thaw(): void {
    this.#local('thaw()').kill('SIGCONT');
  }

  /** Stops the server and removes its dir. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#child) await killHard(this.#child);
    if (this.#container) await this.#container.stop();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }

  /** `await using redis = ...`: stops the server. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
