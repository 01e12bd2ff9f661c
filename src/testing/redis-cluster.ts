/**
 * TestingRedisCluster: a real Redis Cluster for tests — `redis-server --cluster-enabled yes` per
 * node (TestingRedis), joined by `redis-cli --cluster create` on free loopback ports, ready once
 * every node says `cluster_state:ok`. With replicas it can fail a shard over (`CLUSTER FAILOVER`
 * on a replica: no write lost) or kill a shard's primary (the replica is promoted after the node
 * timeout, and what it had not received is lost) — the faults a cluster deployment meets.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InvalidArgumentError, ZkRecipesError } from '../core/errors.js';
import { describeValue } from '../core/options.js';
import { TestingRedis } from './redis-server.js';
import { keySlot, type NodeLine, parseNodes, pollUntil } from './redis-cluster-topology.js';
import { resolveClusterOptions, type TestingRedisClusterOptions } from './redis-cluster-options.js';

export type { TestingRedisClusterOptions } from './redis-cluster-options.js';
import { ReplicationLagProxy } from './replication-lag-proxy.js';

export { keySlot } from './redis-cluster-topology.js';

const run = promisify(execFile);

/** A Redis Cluster of real servers. Always `stop()` it. */
export class TestingRedisCluster implements AsyncDisposable {
  /** Every node, primaries and replicas, in the order they were started. */
  readonly nodes: readonly TestingRedis[];
  readonly #down = new Set<TestingRedis>();
  /** With `replicationLagMs`: each node's proxy, whose port the node announces. */
  readonly #proxies: readonly ReplicationLagProxy[];

  private constructor(nodes: readonly TestingRedis[], proxies: readonly ReplicationLagProxy[]) {
    this.nodes = nodes;
    this.#proxies = proxies;
  }

  /** Starts the nodes on free loopback ports and joins them; resolves once every node says `cluster_state:ok`. */
  static async start(options: TestingRedisClusterOptions = {}): Promise<TestingRedisCluster> {
    const { masters, replicas, lagMs, config } = resolveClusterOptions(options);
    const nodes: TestingRedis[] = [];
    const proxies: ReplicationLagProxy[] = [];
    try {
      const count = masters * (1 + replicas);
      if (lagMs > 0) proxies.push(...(await Promise.all(Array.from({ length: count }, () => ReplicationLagProxy.start(lagMs)))));
      const announced = (i: number): Record<string, string> =>
        lagMs > 0 ? { 'cluster-announce-ip': '127.0.0.1', 'cluster-announce-port': String(proxies[i]?.port) } : {};
      nodes.push(
        ...(await Promise.all(Array.from({ length: count }, (_, i) => TestingRedis.start({ config: { ...config, ...announced(i) } })))),
      );
      for (const [i, node] of nodes.entries()) proxies[i]?.target(node.port);
      const addresses = nodes.map((n) => `${n.host}:${n.port}`);
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], {
        timeout: 60_000,
      });
      const cluster = new TestingRedisCluster(nodes, proxies);
      await cluster.waitHealthy(30_000, masters * (1 + replicas));
      await cluster.#waitReplicas(masters * replicas, 30_000);
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((n) => n.stop()));
      await Promise.all(proxies.map((p) => p.close()));
      throw error;
    }
  }

  /** `{ host, port }` of every node: what `createCluster({ rootNodes })` and ioredis's `Cluster` take. */
  get rootNodes(): { host: string; port: number }[] {
    return this.nodes.filter((n) => !this.#down.has(n)).map((n) => ({ host: n.host, port: this.#portOf(n) }));
  }

  /** `redis://host:port` of every live node. */
  get urls(): string[] {
    return this.rootNodes.map(({ host, port }) => `redis://${host}:${port}`);
  }

  /** The node that serves `keyOrSlot` now (a key, or a slot number). */
  async masterOf(keyOrSlot: string | number): Promise<TestingRedis> {
    const slot = this.#slot(keyOrSlot);
    const owner = (await this.#topology()).find((n) => n.master && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
    const node = owner && this.#nodeAt(owner.port);
    if (!node) throw new ZkRecipesError('CLUSTER_TOPOLOGY', `No live primary serves slot ${slot}.`);
    return node;
  }

  /**
   * A graceful failover of the shard serving `keyOrSlot`: its replica runs `CLUSTER FAILOVER`
   * (it first catches up with its primary, so no acknowledged write is lost). Resolves with the
   * new primary once every live node agrees on it.
   */
  async failover(keyOrSlot: string | number, timeoutMs = 30_000): Promise<TestingRedis> {
    const slot = this.#slot(keyOrSlot);
    const replica = await this.#replicaOf(slot);
    await run('redis-cli', ['-h', replica.host, '-p', String(replica.port), 'CLUSTER', 'FAILOVER'], { timeout: 10_000 });
    await this.#waitOwner(slot, replica, timeoutMs);
    return replica;
  }

  /**
   * SIGKILLs the primary serving `keyOrSlot`; its replica is promoted after the node timeout
   * (writes it had not received are lost, as in a real crash). Resolves with the killed node (its
   * `restart()` brings it back, as a replica) once the new primary serves the slot. With `after`,
   * the shard is looked up first and the primary killed the moment `after` resolves: within the
   * replication lag of something the test just saw happen.
   */
  async killMaster(
    keyOrSlot: string | number,
    timeoutMs = 30_000,
    options: { readonly after?: Promise<unknown> } = {},
  ): Promise<TestingRedis> {
    const slot = this.#slot(keyOrSlot);
    const replica = await this.#replicaOf(slot);
    const master = await this.masterOf(slot);
    await options.after;
    await master.kill();
    this.#down.add(master);
    await this.#waitOwner(slot, replica, timeoutMs);
    return master;
  }

  /**
   * Moves the slot of `keyOrSlot` to another primary the way a resharding does, key by key:
   * IMPORTING on the target, MIGRATING on the source, then (after `holdMs`, while clients meet
   * ASK and TRYAGAIN) MIGRATE each key, then SETSLOT NODE everywhere. Resolves with the new owner.
   */
  async moveSlot(
    keyOrSlot: string | number,
    options: { readonly holdMs?: number; readonly to?: TestingRedis } = {},
  ): Promise<TestingRedis> {
    const slot = this.#slot(keyOrSlot);
    const topology = await this.#topology();
    const source = await this.masterOf(slot);
    const target =
      options.to ??
      this.nodes.find((n) => !this.#down.has(n) && n !== source && topology.some((t) => t.port === this.#portOf(n) && t.master));
    const idOf = (node: TestingRedis) => topology.find((t) => t.port === this.#portOf(node))?.id;
    const [sourceId, targetId] = [idOf(source), target && idOf(target)];
    if (!target || !sourceId || !targetId) throw new InvalidArgumentError(`No other primary to move slot ${slot} to.`);
    await this.#cli(target, 'CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId);
    await this.#cli(source, 'CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId);
    if (options.holdMs) await new Promise((resolve) => setTimeout(resolve, options.holdMs));
    for (;;) {
      const keys = (await this.#cli(source, 'CLUSTER', 'GETKEYSINSLOT', String(slot), '100')).split('\n').filter(Boolean);
      if (keys.length === 0) break;
      for (const key of keys) {
        await this.#cli(source, 'MIGRATE', target.host, String(target.port), '', '0', '5000', 'REPLACE', 'KEYS', key);
        if (options.holdMs) await new Promise((resolve) => setTimeout(resolve, Math.min(50, options.holdMs ?? 0)));
      }
    }
    for (const node of [target, source, ...this.nodes.filter((n) => n !== target && n !== source && !this.#down.has(n))]) {
      await this.#cli(node, 'CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId).catch(() => undefined); // replicas refuse: fine
    }
    await this.#waitOwner(slot, target, 30_000);
    return target;
  }

  /** Brings a killed node back; it rejoins as a replica of the shard that replaced it, in sync when this resolves. */
  async restart(node: TestingRedis, timeoutMs = 30_000): Promise<void> {
    await node.restart();
    this.#down.delete(node);
    await this.waitHealthy(timeoutMs);
    await pollUntil(() => this.#inSync(node), timeoutMs, `${node.host}:${node.port} did not catch up with its primary`);
  }

  /** Waits until every live node reports `cluster_state:ok` (and, given, that many known nodes). */
  async waitHealthy(timeoutMs = 30_000, knownNodes?: number): Promise<void> {
    await pollUntil(() => this.#healthy(knownNodes), timeoutMs, 'The Redis Cluster was not healthy');
  }

  /** Stops every node and removes their directories. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    await Promise.all(this.#proxies.map((p) => p.close()));
  }

  /** `await using cluster = ...`: stops it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** The port a node announces (its proxy's with a replication lag): what CLUSTER NODES shows. */
  #portOf(node: TestingRedis): number {
    return this.#proxies[this.nodes.indexOf(node)]?.port ?? node.port;
  }

  #nodeAt(announcedPort: number): TestingRedis | undefined {
    return this.nodes.find((n) => this.#portOf(n) === announcedPort);
  }

  #slot(keyOrSlot: string | number): number {
    if (typeof keyOrSlot === 'string') return keySlot(keyOrSlot);
    if (!Number.isInteger(keyOrSlot) || keyOrSlot < 0 || keyOrSlot > 16383)
      throw new InvalidArgumentError(`a slot is an integer from 0 to 16383, got ${describeValue(keyOrSlot)}.`);
    return keyOrSlot;
  }

  async #cli(node: TestingRedis, ...args: string[]): Promise<string> {
    return (await run('redis-cli', ['-h', node.host, '-p', String(node.port), ...args], { timeout: 5000 })).stdout;
  }

  async #topology(): Promise<NodeLine[]> {
    for (const node of this.nodes) {
      if (this.#down.has(node)) continue;
      try {
        return parseNodes(await this.#cli(node, 'CLUSTER', 'NODES'));
      } catch {
        // that node is not answering: ask the next
      }
    }
    throw new ZkRecipesError('CLUSTER_TOPOLOGY', 'No node of the Redis Cluster answers CLUSTER NODES.');
  }

  async #replicaOf(slot: number): Promise<TestingRedis> {
    const topology = await this.#topology();
    const master = topology.find((n) => n.master && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
    const replica = master && topology.find((n) => !n.master && !n.failed && n.masterId === master.id);
    const node = replica && this.#nodeAt(replica.port);
    if (!node)
      throw new InvalidArgumentError(`The shard of slot ${slot} has no live replica: start the cluster with replicasPerMaster ≥ 1.`);
    return node;
  }

  /** Until every live node names `owner` as the primary of `slot`, and the cluster is ok. */
  async #waitOwner(slot: number, owner: TestingRedis, timeoutMs: number): Promise<void> {
    const agreed = async () => {
      for (const node of this.#live()) {
        const lines = parseNodes(await this.#cli(node, 'CLUSTER', 'NODES').catch(() => ''));
        const serving = lines.find((n) => n.master && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
        if (serving?.port !== this.#portOf(owner)) return false;
      }
      return this.#healthy();
    };
    await pollUntil(agreed, timeoutMs, `Slot ${slot} did not move to ${owner.host}:${owner.port}`);
  }

  /** `--cluster create` makes replicas a moment after the slots: wait until every node sees them all, each in sync. */
  async #waitReplicas(count: number, timeoutMs: number): Promise<void> {
    const seen = async () => {
      for (const node of this.#live()) {
        const lines = parseNodes(await this.#cli(node, 'CLUSTER', 'NODES').catch(() => ''));
        if (lines.filter((n) => !n.master && n.masterId !== undefined && !n.failed).length !== count) return false;
        if (!(await this.#inSync(node))) return false;
      }
      return true;
    };
    await pollUntil(seen, timeoutMs, `The cluster's ${count} replicas were not all seen`);
  }

  /** False for a replica still syncing with its primary (a primary is always in sync). */
  async #inSync(node: TestingRedis): Promise<boolean> {
    const replication = await this.#cli(node, 'INFO', 'replication').catch(() => '');
    return !replication.includes('role:slave') || replication.includes('master_link_status:up');
  }

  #live(): TestingRedis[] {
    return this.nodes.filter((n) => !this.#down.has(n));
  }

  async #healthy(knownNodes?: number): Promise<boolean> {
    for (const node of this.#live()) {
      const info = await this.#cli(node, 'CLUSTER', 'INFO').catch(() => '');
      if (!info.includes('cluster_state:ok')) return false;
      if (knownNodes !== undefined && !info.includes(`cluster_known_nodes:${knownNodes}`)) return false;
    }
    return true;
  }
}
