/**
 * TestingCluster: a real ZooKeeper ensemble (QuorumPeerMain processes) on loopback.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, ZooKeeperNotFoundError } from '../core/errors.js';
import { fourLetterWord } from './four-letter.js';
import { makeTestCertificates, tlsServerConfig } from './certificates.js';
import { locateZooKeeper } from './locate.js';
import { Member } from './member.js';
import { freePort } from './ports.js';
import { checkOptionKeys, describeValue } from '../core/options.js';

/** Options of {@link TestingCluster.start}. */
export interface TestingClusterOptions {
  /** Number of servers. @default 3 */
  readonly size?: number;
  /** @default 200 */
  readonly tickTimeMs?: number;
  /** Also serve TLS on a `secureClientPort` per member (see {@link TestingCluster.tls}); plain ports stay open. */
  readonly tls?: boolean | { readonly clientAuth?: 'none' | 'want' | 'need' };
}

/** What clients need to reach a TLS test ensemble. */
export interface TestingClusterTls {
  /** Every member's `127.0.0.1:securePort`, comma-separated. */
  readonly connectString: string;
  /** Each member's `127.0.0.1:securePort`, by index. */
  readonly connectStrings: readonly string[];
  /** The CA (PEM) to trust, and a client certificate and key (PEM) for mutual TLS. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** An ensemble of real servers. `kill(i)`/`restart(i)` take members down and up; always `stop()` it. */
export class TestingCluster {
  readonly #members: Member[];
  readonly #root: string;
  readonly #tls: TestingClusterTls | undefined;
  #stopped = false;

  private constructor(members: Member[], root: string, tls: TestingClusterTls | undefined) {
    this.#members = members;
    this.#root = root;
    this.#tls = tls;
  }

  /** The TLS endpoints and client materials, when started with `tls`. */
  get tls(): TestingClusterTls | undefined {
    return this.#tls;
  }

  /** Starts every member and resolves once a quorum serves. Needs a local install (not Docker). */
  static async start(options: TestingClusterOptions = {}): Promise<TestingCluster> {
    checkOptionKeys('TestingCluster.start options', options, { size: true, tickTimeMs: true, tls: true });
    const size = options.size ?? 3;
    if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`size must be a positive integer, got ${describeValue(size)}.`);
    const source = locateZooKeeper({ allowExternal: false });
    if (source.kind !== 'local')
      throw new ZooKeeperNotFoundError('TestingCluster needs a local ZooKeeper install (ZOOKEEPER_HOME, Debian or Homebrew).');
    const root = mkdtempSync(join(tmpdir(), 'zk-recipes-cluster-'));
    const ports: number[][] = [];
    for (let i = 0; i < size; i++) ports.push([await freePort(), await freePort(), await freePort()]);
    const servers = ports.map(([, peer, election], i) => `server.${i + 1}=127.0.0.1:${peer}:${election}`);
    const certs = options.tls ? makeTestCertificates(root) : undefined;
    const clientAuth = (typeof options.tls === 'object' && options.tls.clientAuth) || 'none';
    const securePorts = certs ? await Promise.all(ports.map(() => freePort())) : [];
    const members = ports.map(([client], i) => {
      const dataDir = join(root, `server-${i + 1}`);
      mkdirSync(dataDir);
      return new Member({
        java: source.java,
        classpath: source.classpath,
        dataDir,
        clientPort: client as number,
        tickTimeMs: options.tickTimeMs ?? 200,
        quorum: { myid: i + 1, servers },
        extraConfig: certs ? tlsServerConfig(certs, securePorts[i] as number, clientAuth) : [],
      });
    });
    const connectStrings = securePorts.map((p) => `127.0.0.1:${p}`);
    const tls = certs
      ? { connectString: connectStrings.join(','), connectStrings, ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }
      : undefined;
    const cluster = new TestingCluster(members, root, tls);
    try {
      await Promise.all(members.map((m) => m.start()));
      await Promise.all(members.map((m) => m.waitServing()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Number of members. */
  get size(): number {
    return this.#members.length;
  }

  /** Every member, comma-separated. */
  get connectString(): string {
    return this.#members.map((m) => `127.0.0.1:${m.config.clientPort}`).join(',');
  }

  /** One member's `host:port`. */
  connectStringOf(index: number): string {
    return `127.0.0.1:${this.#member(index).config.clientPort}`;
  }

  /** The client port of member `index`. */
  portOf(index: number): number {
    return this.#member(index).config.clientPort;
  }

  /** Index of the member serving on `port`, or -1. */
  indexOfPort(port: number): number {
    return this.#members.findIndex((m) => m.config.clientPort === port);
  }

  #member(index: number): Member {
    const m = this.#members[index];
    if (!m) throw new InvalidArgumentError(`No member ${index}: the cluster has ${this.#members.length} (0-based).`);
    return m;
  }

  /** SIGKILLs member `index` (its data stays). */
  async kill(index: number): Promise<void> {
    await this.#member(index).kill();
  }

  /** Starts member `index` again and waits until it serves (needs a quorum). */
  async restart(index: number): Promise<void> {
    const m = this.#member(index);
    await m.kill();
    await m.start();
    await m.waitServing();
  }

  /** The role of member `index`: 'leader', 'follower' or 'down'. */
  async modeOf(index: number): Promise<'leader' | 'follower' | 'down'> {
    const answer = await fourLetterWord('127.0.0.1', this.#member(index).config.clientPort, 'srvr', 1000);
    const mode = /Mode: (\w+)/.exec(answer)?.[1];
    return mode === 'leader' || mode === 'follower' ? mode : 'down';
  }

  /** Stops every member and removes all data. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.#members.map((m) => m.kill()));
    rmSync(this.#root, { recursive: true, force: true });
  }

  /** `await using cluster = ...`: stops every member. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
