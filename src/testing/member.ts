/**
 * One ZooKeeper server process (standalone or an ensemble member) on loopback, with a config
 * and data dir of its own. Shared by TestingServer and TestingCluster.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZooKeeperNotFoundError } from '../core/errors.js';
import { fourLetterWord } from './four-letter.js';
import { killHard, spawnGuarded } from './processes.js';

export interface MemberConfig {
  readonly java: string;
  readonly classpath: readonly string[];
  readonly dataDir: string;
  readonly clientPort: number;
  readonly tickTimeMs: number;
  readonly minSessionTimeoutMs?: number;
  readonly maxSessionTimeoutMs?: number;
  /** Java system properties for the server, e.g. `{ 'znode.container.checkIntervalMs': '500' }`. */
  readonly systemProperties?: Readonly<Record<string, string>>;
  /** More zoo.cfg lines (e.g. TLS settings). */
  readonly extraConfig?: readonly string[];
  /** Ensemble only: this member's id and every member's `server.N` line. */
  readonly quorum?: { readonly myid: number; readonly servers: readonly string[] };
}

export class Member {
  readonly config: MemberConfig;
  #child: ChildProcess | undefined;

  constructor(config: MemberConfig) {
    this.config = config;
    const lines = [
      `tickTime=${config.tickTimeMs}`,
      `dataDir=${config.dataDir}`,
      `clientPort=${config.clientPort}`,
      'clientPortAddress=127.0.0.1',
      'maxClientCnxns=0',
      'admin.enableServer=false',
      '4lw.commands.whitelist=*',
    ];
    if (config.minSessionTimeoutMs) lines.push(`minSessionTimeout=${config.minSessionTimeoutMs}`);
    if (config.maxSessionTimeoutMs) lines.push(`maxSessionTimeout=${config.maxSessionTimeoutMs}`);
    lines.push(...(config.extraConfig ?? []));
    if (config.quorum) {
      lines.push('initLimit=20', 'syncLimit=10', 'standaloneEnabled=false', ...config.quorum.servers);
      writeFileSync(join(config.dataDir, 'myid'), `${config.quorum.myid}\n`);
    }
    writeFileSync(join(config.dataDir, 'zoo.cfg'), `${lines.join('\n')}\n`);
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  /** Starts the JVM; resolves once it is serving (standalone) or has joined a quorum. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running) return;
    const main = this.config.quorum
      ? 'org.apache.zookeeper.server.quorum.QuorumPeerMain'
      : 'org.apache.zookeeper.server.ZooKeeperServerMain';
    const child = spawnGuarded(
      this.config.java,
      [
        '-Xmx192m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Dzookeeper.admin.enableServer=false',
        '-Dzookeeper.cnxTimeout=1000',
        ...Object.entries(this.config.systemProperties ?? {}).map(([k, v]) => `-D${k}=${v}`),
        '-cp',
        this.config.classpath.join(':'),
        main,
        join(this.config.dataDir, 'zoo.cfg'),
      ],
      join(this.config.dataDir, 'server.log'),
    );
    this.#child = child;
    if (this.config.quorum) return; // a member alone cannot serve; the cluster waits for quorum
    await this.waitServing(timeoutMs);
  }

  /** Waits until `srvr` reports a mode (standalone, leader or follower). */
  async waitServing(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new ZooKeeperNotFoundError(
          `ZooKeeper on port ${this.config.clientPort} exited during start-up; see ${join(this.config.dataDir, 'server.log')}.`,
        );
      }
      const answer = await fourLetterWord('127.0.0.1', this.config.clientPort, 'srvr', 1000);
      if (/Mode: (standalone|leader|follower)/.test(answer)) return;
      await sleep(100);
    }
    throw new ZooKeeperNotFoundError(`ZooKeeper on port ${this.config.clientPort} did not start serving within ${timeoutMs} ms.`);
  }

  /** SIGKILL (the data dir stays, so `start()` brings the same state back). */
  async kill(): Promise<void> {
    if (this.#child) await killHard(this.#child);
    this.#child = undefined;
  }

  /** SIGSTOP: the process stays, silent (sockets still accept, nothing answers). */
  freeze(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** SIGCONT after {@link freeze}. */
  thaw(): void {
    this.#child?.kill('SIGCONT');
  }
}
