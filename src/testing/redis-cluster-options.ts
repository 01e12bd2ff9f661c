/**
 * The options of TestingRedisCluster.start(), checked, and the settings every node starts with.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { checkOptionKeys, describeValue } from '../core/options.js';

/** Options of {@link TestingRedisCluster.start}. */
export interface TestingRedisClusterOptions {
  /** Primaries (shards). @default 3 (the least `redis-cli --cluster create` takes) */
  readonly masters?: number;
  /** Replicas of each primary. @default 0 */
  readonly replicasPerMaster?: number;
  /** `cluster-node-timeout`: how long a primary may be unreachable before its replica takes over. @default 2000 */
  readonly nodeTimeoutMs?: number;
  /**
   * Holds the replication stream back by this long (a lagging replica): a primary killed then
   * takes its last writes with it, as a crash of a loaded primary does. Every node is then reached
   * through a proxy of the kit's (it announces the proxy's port). @default 0 (loopback speed)
   */
  readonly replicationLagMs?: number;
}

/** The options checked, with defaults, and each node's `redis-server` settings. */
export function resolveClusterOptions(options: TestingRedisClusterOptions): {
  masters: number;
  replicas: number;
  lagMs: number;
  config: Record<string, string>;
} {
  checkOptionKeys('TestingRedisCluster.start() options', options, {
    masters: true,
    replicasPerMaster: true,
    nodeTimeoutMs: true,
    replicationLagMs: true,
  });
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2000;
  const lagMs = options.replicationLagMs ?? 0;
  if (!Number.isInteger(masters) || masters < 3 || masters > 16)
    throw new InvalidArgumentError(`masters must be an integer from 3 to 16 (a cluster needs three), got ${describeValue(masters)}.`);
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 3)
    throw new InvalidArgumentError(`replicasPerMaster must be an integer from 0 to 3, got ${describeValue(replicas)}.`);
  if (!Number.isInteger(nodeTimeoutMs) || nodeTimeoutMs < 500)
    throw new InvalidArgumentError(`nodeTimeoutMs must be an integer of at least 500, got ${describeValue(nodeTimeoutMs)}.`);
  if (!Number.isInteger(lagMs) || lagMs < 0 || lagMs > 60_000)
    throw new InvalidArgumentError(`replicationLagMs must be an integer from 0 to 60000, got ${describeValue(lagMs)}.`);
  const config = {
    'cluster-enabled': 'yes',
    'cluster-config-file': 'nodes.conf',
    'cluster-node-timeout': String(nodeTimeoutMs),
    // a replica takes over however long it was cut off (the tests decide what it missed)
    'cluster-replica-validity-factor': '0',
    // a replica's first full sync starts at once (Redis waits 5 s for more replicas by default)
    'repl-diskless-sync-delay': '0',
  };
  return { masters, replicas, lagMs, config };
}
