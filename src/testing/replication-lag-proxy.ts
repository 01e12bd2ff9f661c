/**
 * A loopback proxy in front of one Redis node that passes clients' traffic at once but holds the
 * replication stream to a replica back by `lagMs`, as a busy or distant replica lags. When the
 * node dies, what the replica had not yet been handed is dropped with the connection: the writes
 * a real crash loses. Used by TestingRedisCluster's `replicationLagMs` (each node announces the
 * proxy's port, so clients and replicas alike come through it).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOnLoopback } from './ports.js';

/** The commands only a replica sends its primary: they mark a connection as a replication link. */
const REPLICA_HANDSHAKE = /REPLCONF|PSYNC|\bSYNC\b/i;

export class ReplicationLagProxy {
  readonly #server: Server;
  readonly #lagMs: number;
  readonly #sockets = new Set<Socket>();
  #targetPort = 0;
  #port = 0;

  private constructor(lagMs: number) {
    this.#lagMs = lagMs;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Listens on a free loopback port; `target()` says where the node is once it runs. */
  static async start(lagMs: number): Promise<ReplicationLagProxy> {
    const proxy = new ReplicationLagProxy(lagMs);
    proxy.#port = await listenOnLoopback(proxy.#server);
    return proxy;
  }

  /** The port clients and replicas use. */
  get port(): number {
    return this.#port;
  }

  /** The node's own port. */
  target(port: number): void {
    this.#targetPort = port;
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(downstream: Socket): void {
    const upstream = connect(this.#targetPort, '127.0.0.1');
    this.#sockets.add(downstream).add(upstream);
    let replication = false;
    let head = '';
    // Bytes of the node held back, in order, each with the time it may be passed on.
    const held: { at: number; bytes: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const now = Date.now();
      while (held.length > 0 && (held[0]?.at ?? 0) <= now) downstream.write((held.shift() as { bytes: Buffer }).bytes);
      if (held.length > 0) timer = setTimeout(flush, (held[0]?.at ?? now) - now);
    };
    downstream.on('data', (bytes: Buffer) => {
      if (!replication) {
        head = (head + bytes.toString('latin1')).slice(-256);
        replication = REPLICA_HANDSHAKE.test(head);
      }
      upstream.write(bytes);
    });
    upstream.on('data', (bytes: Buffer) => {
      if (!replication) {
        downstream.write(bytes);
        return;
      }
      held.push({ at: Date.now() + this.#lagMs, bytes });
      timer ??= setTimeout(flush, this.#lagMs);
    });
    const end = () => {
      // What the replica was not yet handed dies with the node, as in a crash.
      clearTimeout(timer);
      held.length = 0;
      downstream.destroy();
      upstream.destroy();
      this.#sockets.delete(downstream);
      this.#sockets.delete(upstream);
    };
    upstream.on('close', end);
    downstream.on('close', end);
    upstream.on('error', () => undefined);
    downstream.on('error', () => undefined);
  }
}
