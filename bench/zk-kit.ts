/**
 * What every ZooKeeper workload of the bench shares (the lock, cache and partition workloads alike):
 * the server it runs on, the sizes of a run, its figures, and the server's own counters.
 */
import { fourLetterWord, monitor } from '../src/testing/index.js';

export interface Server {
  readonly connectString: string;
  readonly host: string;
  readonly port: number;
}

export type Figures = Record<string, number>;

export interface Sizes {
  /** Warm-up cycles before every measured workload (both libraries get the same). */
  warmup: number;
  w1Cycles: number;
  w2Sessions: number;
  w2Cycles: number;
  w3Waiters: number;
  w4Sessions: number;
  w4Cycles: number;
  w5Rounds: number;
  w6Flows: number;
  w6Cycles: number;
  /** C1: nodes in the tree a cache loads. */
  c1Nodes: number;
  /** C2: writes (at ~1,000/s) whose events are timed. */
  c2Writes: number;
}

/** Server-wide counters (mntr, srvr): requests, watch notifications and writes (every write, failed ones included, takes a zxid). */
export async function counters(server: Server): Promise<{ packets: number; watches: number; writes: number }> {
  const [m, srvr] = await Promise.all([monitor(server.host, server.port), fourLetterWord(server.host, server.port, 'srvr')]);
  const n = (k: string) => Number(m[k] ?? 0);
  const zxid = /Zxid: (0x[0-9a-f]+)/.exec(srvr)?.[1];
  return {
    writes: zxid ? Number(BigInt(zxid) & 0xffffffffn) : Number.NaN,
    packets: n('zk_packets_received'),
    watches:
      n('zk_sum_node_deleted_watch_count') +
      n('zk_sum_node_changed_watch_count') +
      n('zk_sum_node_children_watch_count') +
      n('zk_sum_node_created_watch_count'),
  };
}
