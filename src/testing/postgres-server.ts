/**
 * TestingPostgres: one real PostgreSQL server for tests, on a free loopback port with a temp data
 * dir (initdb + postgres from Debian's `postgresql` package, `PG_BIN`, or `pg_config --bindir`),
 * or a `postgres:16` container when that is missing and a Docker engine answers. PostgreSQL will
 * not run as root: as root, the server runs as the `postgres` system user (or `nobody`).
 * Needs no PostgreSQL client.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, ZkRecipesError } from '../core/errors.js';
import { checkOptionKeys } from '../core/options.js';
import { dockerAnswers } from './locate.js';
import { freePort } from './ports.js';
import { killHard, spawnGuarded } from './processes.js';

/** What to run when no PostgreSQL is found. */
export const POSTGRES_INSTALL_HINT = [
  'No PostgreSQL server binaries found and no Docker engine answers. Run one of:',
  '  sudo apt-get update && sudo apt-get install -y postgresql   # Debian/Ubuntu',
  '  brew install postgresql@16                                  # macOS',
  '  export PG_BIN=/path/to/postgresql/bin                       # initdb, postgres, pg_isready',
].join('\n');

/** No PostgreSQL server could be found or started. */
export class PostgresNotFoundError extends ZkRecipesError {
  constructor(message: string) {
    super('POSTGRES_NOT_FOUND', message);
  }
}

/** Finds the directory with initdb and postgres, or undefined. */
export function locatePostgres(): string | undefined {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
  if (process.env.PG_BIN && has(process.env.PG_BIN)) return process.env.PG_BIN;
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (has(`/usr/lib/postgresql/${v}/bin`)) return `/usr/lib/postgresql/${v}/bin`;
  }
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = config.status === 0 ? config.stdout.trim() : '';
  return dir && has(dir) ? dir : undefined;
}

/** The uid/gid to run PostgreSQL as when we are root (it refuses to run as root). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new PostgresNotFoundError('Running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as.');
}

interface DockerContainer {
  getMappedPort(port: number): number;
  getHost(): string;
  stop(): Promise<unknown>;
}

/** One PostgreSQL server (a child process, or a container). Always `stop()` it. */
export class TestingPostgres {
  readonly #bin: string | undefined;
  readonly #dir: string | undefined;
  readonly #user: { uid: number; gid: number } | undefined;
  readonly #host: string;
  readonly #port: number;
  readonly #container: DockerContainer | undefined;
  #child: ChildProcess | undefined;
  #stopped = false;

  private constructor(parts: {
    bin?: string;
    dir?: string;
    user?: { uid: number; gid: number };
    host: string;
    port: number;
    container?: DockerContainer;
  }) {
    this.#bin = parts.bin;
    this.#dir = parts.dir;
    this.#user = parts.user;
    this.#host = parts.host;
    this.#port = parts.port;
    this.#container = parts.container;
  }

  /** Creates a cluster (initdb) and starts it; resolves once it accepts connections. */
  static async start(options: { readonly port?: number } = {}): Promise<TestingPostgres> {
    checkOptionKeys('TestingPostgres.start options', options, { port: true });
    const bin = locatePostgres();
    if (!bin) {
      if (dockerAnswers()) return TestingPostgres.#startDocker();
      throw new PostgresNotFoundError(POSTGRES_INSTALL_HINT);
    }
    const user = serverUser();
    const dir = mkdtempSync(join(tmpdir(), 'zk-recipes-pg-'));
    if (user) chownSync(dir, user.uid, user.gid);
    const init = spawnSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
      encoding: 'utf8',
      cwd: dir,
      ...(user ?? {}),
    });
    if (init.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new PostgresNotFoundError(`initdb failed: ${init.stderr || init.stdout}`);
    }
    const port = options.port ?? (await freePort());
    const server = new TestingPostgres({ bin, dir, user, host: '127.0.0.1', port });
    try {
      await server.#spawn();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  static async #startDocker(): Promise<TestingPostgres> {
    let tc: { GenericContainer: new (image: string) => unknown };
    try {
      tc = (await import('testcontainers')) as unknown as typeof tc;
    } catch {
      throw new PostgresNotFoundError('A Docker engine answers but `testcontainers` is not installed: npm install -D testcontainers.');
    }
    const builder = new tc.GenericContainer('postgres:16') as {
      withExposedPorts(p: number): { withEnvironment(e: Record<string, string>): { start(): Promise<DockerContainer> } };
    };
    const container = await builder.withExposedPorts(5432).withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' }).start();
    return new TestingPostgres({ container, host: container.getHost(), port: container.getMappedPort(5432) });
  }

  async #spawn(): Promise<void> {
    const [bin, dir] = [this.#bin, this.#dir];
    if (!bin || !dir) throw new InvalidArgumentError('This needs a locally started server, not a container.');
    const args = [
      '-D',
      join(dir, 'data'),
      '-p',
      String(this.#port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      '-c',
      'shared_buffers=32MB',
    ];
    const child = this.#user
      ? spawnGuarded(
          'setpriv',
          [`--reuid=${this.#user.uid}`, `--regid=${this.#user.gid}`, '--clear-groups', join(bin, 'postgres'), ...args],
          join(dir, 'server.log'),
        )
      : spawnGuarded(join(bin, 'postgres'), args, join(dir, 'server.log'));
    this.#child = child;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new PostgresNotFoundError(`postgres exited (${child.exitCode}) at start; see ${dir}/server.log.`);
      const ready = spawnSync(join(bin, 'pg_isready'), ['-h', this.#host, '-p', String(this.#port), '-U', 'postgres', '-t', '1'], {
        stdio: 'ignore',
      });
      if (ready.status === 0) return;
      if (Date.now() > deadline) throw new PostgresNotFoundError(`postgres did not accept connections on port ${this.#port} within 30 s.`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** `postgres://postgres@host:port/postgres`, for `new pg.Pool({ connectionString })`. */
  get url(): string {
    return `postgres://postgres@${this.#host}:${this.#port}/postgres`;
  }

  /** The server's host (loopback for local servers). */
  get host(): string {
    return this.#host;
  }

  /** The server's port. */
  get port(): number {
    return this.#port;
  }

  /** The postmaster's process id (undefined for a container or a stopped server). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  #local(what: string): ChildProcess {
    if (!this.#child) throw new InvalidArgumentError(`${what} needs a locally started server, not a container.`);
    return this.#child;
  }

  /** Every process of the server: the postmaster and its backends. */
  #pids(): number[] {
    const pid = this.#local('freeze()').pid as number;
    const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);
    return [pid, ...children];
  }

  /** SIGKILLs the server and its backends (a crash: what was committed stays for {@link restart}). */
  async kill(): Promise<void> {
    const child = this.#local('kill()');
    const backends = child.exitCode === null ? this.#pids().slice(1) : [];
    await killHard(child);
    for (const pid of backends) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // The postmaster's shared memory and lock file go with its last backend.
    const until = Date.now() + 5000;
    while (backends.some((pid) => alive(pid)) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** A crash and a start on the same port and data (crash recovery replays the WAL). */
  async restart(): Promise<void> {
    await this.kill();
    await this.#spawn();
  }

  /** SIGSTOPs the postmaster and every backend: connections stay open but nothing answers. */
  freeze(): void {
    for (const pid of this.#pids()) process.kill(pid, 'SIGSTOP');
  }

  /** SIGCONTs a frozen server. */
  thaw(): void {
    for (const pid of this.#pids()) process.kill(pid, 'SIGCONT');
  }

  /** Stops the server and removes its data. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#child && this.#child.exitCode === null) {
      try {
        this.thaw();
      } catch {
        // gone
      }
      await this.kill();
    }
    if (this.#container) await this.#container.stop();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }

  /** `await using pg = ...`: stops the server. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
