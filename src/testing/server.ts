/**
 * TestingServer: one real ZooKeeper server for tests, on a free loopback port with a temp data
 * dir, started from a local install (or Docker when that is all there is).
 */
import { digestId } from '../zookeeper/acl.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, ZooKeeperNotFoundError } from '../core/errors.js';
import { makeTestCertificates, tlsServerConfig } from './certificates.js';
import { locateZooKeeper } from './locate.js';
import { Member } from './member.js';
import { freePort } from './ports.js';
import { checkOptionKeys, describeValue, type OptionKeys } from '../core/options.js';

/** Options of {@link TestingServer.start}. */
export interface TestingServerOptions {
  /** ZooKeeper's tick; sessions may last 2 to 20 ticks. Small ticks make expiry tests fast. @default 200 */
  readonly tickTimeMs?: number;
  /** @default 2 ticks */
  readonly minSessionTimeoutMs?: number;
  /** @default 20 ticks */
  readonly maxSessionTimeoutMs?: number;
  /** A fixed client port. @default a free port */
  readonly port?: number;
  /** Java system properties, e.g. `{ 'znode.container.checkIntervalMs': '500' }` to reap containers fast. */
  readonly systemProperties?: Readonly<Record<string, string>>;
  /**
   * A ZooKeeper superuser (digest scheme) that may do anything whatever a node's ACL says — for
   * test clean-up of nodes made under restrictive ACLs. Authenticate with `auth: [{ scheme: 'digest', credentials: 'user:password' }]`.
   */
  readonly superUser?: { readonly user: string; readonly password: string };
  /**
   * Also serve TLS on a `secureClientPort` (Netty connection factory) with throwaway certificates
   * (see {@link TestingServer.tls}); `clientAuth: 'need'` requires a client certificate (mutual TLS).
   * The plain port stays open (admin commands, `expireSession`).
   */
  readonly tls?: boolean | { readonly clientAuth?: 'none' | 'want' | 'need' };
  /** Require every session to authenticate with one of these schemes (`enforce.auth`, ZooKeeper 3.7+), e.g. `['digest']`. */
  readonly requireAuth?: readonly string[];
  /**
   * Allow TTL nodes (`zookeeper.extendedTypesEnabled=true`); `checkIntervalMs`: how often the
   * server deletes expired ones (`znode.container.checkIntervalMs`, which also reaps containers;
   * the server's default is a minute). @default off
   */
  readonly ttlNodes?: boolean | { readonly checkIntervalMs?: number };
}

const SERVER_OPTION_KEYS: OptionKeys<TestingServerOptions> = {
  tickTimeMs: true,
  minSessionTimeoutMs: true,
  maxSessionTimeoutMs: true,
  port: true,
  systemProperties: true,
  superUser: true,
  tls: true,
  requireAuth: true,
  ttlNodes: true,
};

/** What clients need to reach a TLS test server. */
export interface TestingServerTls {
  /** `host:securePort`. */
  readonly connectString: string;
  /** The CA (PEM) to trust, and a client certificate and key (PEM) for mutual TLS. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

interface DockerContainer {
  getMappedPort(port: number): number;
  getHost(): string;
  stop(): Promise<unknown>;
}

/** One ZooKeeper server (a child process, or a container). Always `stop()` it. */
export class TestingServer {
  readonly #member: Member | undefined;
  readonly #container: DockerContainer | undefined;
  readonly #dataDir: string | undefined;
  readonly #host: string;
  readonly #port: number;
  readonly #tls: TestingServerTls | undefined;
  #stopped = false;

  private constructor(parts: {
    member?: Member;
    container?: DockerContainer;
    dataDir?: string;
    host: string;
    port: number;
    tls?: TestingServerTls;
  }) {
    this.#tls = parts.tls;
    this.#member = parts.member;
    this.#container = parts.container;
    this.#dataDir = parts.dataDir;
    this.#host = parts.host;
    this.#port = parts.port;
  }

  /** Starts a server and resolves once it answers requests. */
  static async start(options: TestingServerOptions = {}): Promise<TestingServer> {
    checkOptionKeys('TestingServer.start options', options, SERVER_OPTION_KEYS);
    if (typeof options.ttlNodes === 'object') checkOptionKeys('TestingServer.start ttlNodes', options.ttlNodes, { checkIntervalMs: true });
    const tickTimeMs = options.tickTimeMs ?? 200;
    if (!Number.isInteger(tickTimeMs) || tickTimeMs <= 0) {
      throw new InvalidArgumentError(`tickTimeMs must be a positive integer, got ${describeValue(tickTimeMs)}.`);
    }
    const source = locateZooKeeper({ allowExternal: false });
    if (source.kind === 'docker') return TestingServer.#startDocker(source.image, tickTimeMs);
    if (source.kind !== 'local') throw new ZooKeeperNotFoundError('unreachable');
    const dataDir = mkdtempSync(join(tmpdir(), 'zk-recipes-server-'));
    const port = options.port ?? (await freePort());
    let tls: TestingServerTls | undefined;
    const extraConfig: string[] = [];
    if (options.tls) {
      const certs = makeTestCertificates(dataDir);
      const securePort = await freePort();
      const clientAuth = (typeof options.tls === 'object' && options.tls.clientAuth) || 'none';
      extraConfig.push(...tlsServerConfig(certs, securePort, clientAuth));
      tls = { connectString: `127.0.0.1:${securePort}`, ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
    }
    const member = new Member({
      extraConfig,
      java: source.java,
      classpath: source.classpath,
      dataDir,
      clientPort: port,
      tickTimeMs,
      minSessionTimeoutMs: options.minSessionTimeoutMs,
      maxSessionTimeoutMs: options.maxSessionTimeoutMs,
      systemProperties: {
        ...options.systemProperties,
        ...(options.superUser
          ? { 'zookeeper.DigestAuthenticationProvider.superDigest': digestId(options.superUser.user, options.superUser.password) }
          : {}),
        ...(options.requireAuth?.length
          ? { 'zookeeper.enforce.auth.enabled': 'true', 'zookeeper.enforce.auth.schemes': options.requireAuth.join(',') }
          : {}),
        ...(options.ttlNodes
          ? {
              'zookeeper.extendedTypesEnabled': 'true',
              ...(typeof options.ttlNodes === 'object' && options.ttlNodes.checkIntervalMs !== undefined
                ? { 'znode.container.checkIntervalMs': String(options.ttlNodes.checkIntervalMs) }
                : {}),
            }
          : {}),
      },
    });
    try {
      await member.start();
    } catch (error) {
      await member.kill();
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    return new TestingServer({ member, dataDir, host: '127.0.0.1', port, tls });
  }

  static async #startDocker(image: string, tickTimeMs: number): Promise<TestingServer> {
    let tc: { GenericContainer: new (image: string) => { withExposedPorts(p: number): unknown } };
    try {
      tc = (await import('testcontainers')) as unknown as typeof tc;
    } catch {
      throw new ZooKeeperNotFoundError('A Docker engine answers but `testcontainers` is not installed: npm install -D testcontainers.');
    }
    const builder = new tc.GenericContainer(image) as unknown as {
      withExposedPorts(p: number): typeof builder;
      withEnvironment(e: Record<string, string>): typeof builder;
      start(): Promise<DockerContainer>;
    };
    const container = await builder
      .withExposedPorts(2181)
      .withEnvironment({ ZOO_TICK_TIME: String(tickTimeMs), ZOO_4LW_COMMANDS_WHITELIST: '*' })
      .start();
    return new TestingServer({ container, host: container.getHost(), port: container.getMappedPort(2181) });
  }

  /** The TLS endpoint and client materials, when started with `tls`. */
  get tls(): TestingServerTls | undefined {
    return this.#tls;
  }

  /** `host:port` of the plain client port, for a ZkClient (see {@link tls} for the TLS port). */
  get connectString(): string {
    return `${this.#host}:${this.#port}`;
  }

  /** The server's host (loopback for local servers). */
  get host(): string {
    return this.#host;
  }

  /** The server's client port. */
  get port(): number {
    return this.#port;
  }

  /** The server's process id (undefined for a container or a stopped server). */
  get pid(): number | undefined {
    return this.#member?.pid;
  }

  /** True when fault injection (kill, restart, freeze) is possible: a local child process. */
  get supportsFaults(): boolean {
    return this.#member !== undefined;
  }

  #local(what: string): Member {
    if (!this.#member) throw new InvalidArgumentError(`${what} needs a locally started server, not a container.`);
    return this.#member;
  }

  /** SIGKILLs the server; its data stays for {@link restart}. */
  async kill(): Promise<void> {
    await this.#local('kill()').kill();
  }

  /** Starts the server again on the same port and data (sessions survive if within their timeout). */
  async restart(): Promise<void> {
    const member = this.#local('restart()');
    await member.kill();
    await member.start();
  }

  /** SIGSTOPs the server: connections stay open but nothing answers (a GC pause or a hung host). */
  freeze(): void {
    this.#local('freeze()').freeze();
  }

  /** SIGCONTs a frozen server. */
  thaw(): void {
    this.#local('thaw()').thaw();
  }

  /** Stops the server and removes its data. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#member) await this.#member.kill();
    if (this.#container) await this.#container.stop();
    if (this.#dataDir) rmSync(this.#dataDir, { recursive: true, force: true });
  }

  /** `await using server = ...`: stops the server. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
