/**
 * A real Redis Cluster for tests: three primaries from `redis-server --cluster-enabled yes` (the
 * testing kit's TestingRedis), joined by `redis-cli --cluster create`, ready once every slot is
 * served (`cluster_state:ok`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TestingRedis } from '../../src/testing/index.js';

const run = promisify(execFile);

/** Three primaries, no replicas. Always `stop()` it. */
export class TestingRedisCluster {
  private constructor(readonly nodes: readonly TestingRedis[]) {}

  static async start(): Promise<TestingRedisCluster> {
    const nodes: TestingRedis[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        nodes.push(
          await TestingRedis.start({
            config: { 'cluster-enabled': 'yes', 'cluster-config-file': 'nodes.conf', 'cluster-node-timeout': '2000' },
          }),
        );
      }
      const addresses = nodes.map((n) => `${n.host}:${n.port}`);
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
      const cluster = new TestingRedisCluster(nodes);
      const deadline = Date.now() + 20_000;
      while (!(await cluster.#allOk())) {
        if (Date.now() > deadline) throw new Error('The Redis Cluster did not reach cluster_state:ok within 20 s.');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw error;
    }
  }

  async #allOk(): Promise<boolean> {
    for (const node of this.nodes) {
      const { stdout } = await run('redis-cli', ['-h', node.host, '-p', String(node.port), 'cluster', 'info']);
      if (!stdout.includes('cluster_state:ok')) return false;
    }
    return true;
  }

  /** `redis://host:port` of every primary. */
  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
