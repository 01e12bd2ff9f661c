/**
 * A TCP proxy between clients and a server for fault injection: `pause()` black-holes traffic
 * (TCP stays up, nothing gets through, as in a partition), `resume()` heals it, `cut()` resets
 * every connection, `throttle()` makes the server's replies trickle (a slow link).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOnLoopback } from './ports.js';

interface Pair {
  readonly downstream: Socket;
  upstream: Socket | undefined;
  /** Server bytes not yet passed on while throttled. */
  backlog: Buffer[];
}

/** How often a throttled link passes on its share of bytes. */
const THROTTLE_TICK_MS = 20;

/** A loopback proxy to `target` ('host:port'). Point a ZkClient at `connectString`. */
export class FaultProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #pairs = new Set<Pair>();
  #paused = false;
  #dropNextReply = false;
  #port = 0;
  #bytesPerSecond: number | undefined;
  #throttleTimer: NodeJS.Timeout | undefined;

  private constructor(target: string) {
    const [host, port] = target.split(':');
    this.#target = { host: host || '127.0.0.1', port: Number(port) };
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Starts a proxy on a free loopback port. */
  static async start(target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    proxy.#port = await listenOnLoopback(proxy.#server);
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
    const pair: Pair = { downstream, upstream: undefined, backlog: [] };
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
      if (this.#bytesPerSecond !== undefined || pair.backlog.length > 0) pair.backlog.push(d);
      else pair.downstream.write(d);
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

  /**
   * Passes the server's bytes to clients at most `bytesPerSecond` (a slow link: a large reply
   * arrives over seconds, in pieces); `undefined` lifts the limit.
   */
  throttle(bytesPerSecond: number | undefined): void {
    if (bytesPerSecond !== undefined && !(Number.isInteger(bytesPerSecond) && bytesPerSecond > 0)) {
      throw new RangeError(`bytesPerSecond must be a positive integer or undefined, got ${String(bytesPerSecond)}.`);
    }
    this.#bytesPerSecond = bytesPerSecond;
    clearInterval(this.#throttleTimer);
    this.#throttleTimer = setInterval(() => this.#trickle(), THROTTLE_TICK_MS);
    this.#throttleTimer.unref();
  }

  #trickle(): void {
    const rate = this.#bytesPerSecond;
    let idle = true;
    for (const pair of this.#pairs) {
      let budget = rate === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor((rate * THROTTLE_TICK_MS) / 1000));
      while (budget > 0 && pair.backlog.length > 0) {
        const head = pair.backlog[0] as Buffer;
        const part = head.subarray(0, budget);
        pair.downstream.write(part);
        budget -= part.length;
        if (part.length === head.length) pair.backlog.shift();
        else pair.backlog[0] = head.subarray(part.length);
      }
      if (pair.backlog.length > 0) idle = false;
    }
    // Unthrottled with nothing left to pass on: the timer is done.
    if (rate === undefined && idle) {
      clearInterval(this.#throttleTimer);
      this.#throttleTimer = undefined;
    }
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
    clearInterval(this.#throttleTimer);
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** `await using proxy = ...`: closes the proxy. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
