/**
 * A TCP proxy between clients and a server for fault injection: `pause()` black-holes traffic
 * (TCP stays up, nothing gets through, as in a partition), `resume()` heals it, `cut()` resets
 * every connection.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  readonly downstream: Socket;
  upstream: Socket | undefined;
}

/** A loopback proxy to `target` ('host:port'). Point a ZkClient at `connectString`. */
export class FaultProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #pairs = new Set<Pair>();
  #paused = false;
  #dropNextReply = false;
  #port = 0;

  private constructor(target: string) {
    const [host, port] = target.split(':');
    this.#target = { host: host || '127.0.0.1', port: Number(port) };
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Starts a proxy on a free loopback port. */
  static async start(target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = proxy.#server.address();
    proxy.#port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  /** Point a client here instead of at the server. */
  get connectString(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** True between pause() and resume(). */
  get paused(): boolean {
    return this.#paused;
  }

  /** Live client connections through the proxy. */
  get connectionCount(): number {
    return this.#pairs.size;
  }

  #accept(downstream: Socket): void {
    const pair: Pair = { downstream, upstream: undefined };
    this.#pairs.add(pair);
    downstream.on('error', () => this.#drop(pair));
    downstream.on('close', () => this.#drop(pair));
    if (this.#paused) downstream.pause();
    else this.#link(pair);
  }

  #link(pair: Pair): void {
    const upstream = connect(this.#target);
    pair.upstream = upstream;
    upstream.on('error', () => this.#drop(pair));
    upstream.on('close', () => this.#drop(pair));
    pair.downstream.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (this.#dropNextReply) {
        this.#dropNextReply = false;
        this.cut();
        return;
      }
      pair.downstream.write(d);
    });
    if (this.#paused) upstream.pause();
  }

  #drop(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.downstream.destroy();
    pair.upstream?.destroy();
  }

  /** Black-holes traffic both ways; connections stay open (bytes wait in kernel buffers). */
  pause(): void {
    this.#paused = true;
    for (const pair of this.#pairs) {
      pair.downstream.pause();
      pair.upstream?.pause();
    }
  }

  /** Lets traffic flow again, including what waited during the pause. */
  resume(): void {
    this.#paused = false;
    for (const pair of this.#pairs) {
      if (!pair.upstream) this.#link(pair);
      pair.downstream.resume();
      pair.upstream?.resume();
    }
  }

  /**
   * Drops the next bytes the server sends and resets the connection: the request they answer
   * was applied on the server, but the client never hears so (a lost reply).
   */
  dropNextReply(): void {
    this.#dropNextReply = true;
  }

  /** Resets every current connection (the client sees a connection loss at once). */
  cut(): void {
    for (const pair of [...this.#pairs]) {
      pair.downstream.resetAndDestroy();
      pair.upstream?.destroy();
      this.#pairs.delete(pair);
    }
  }

  /** Closes the proxy and every connection. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** `await using proxy = ...`: closes the proxy. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
