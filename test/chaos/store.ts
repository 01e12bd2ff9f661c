/**
 * The guarded store of the chaos run: one shared record behind HTTP on loopback. It accepts a
 * write only with a fencing token at least as high as the highest it has seen (on a read or an
 * accepted write), and logs every attempt for the checker.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** Reads a JSON body; answers 400 and resolves undefined for a torn one (a worker killed mid-request). */
function readJson<T>(req: IncomingMessage, res: ServerResponse): Promise<T | undefined> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        resolve(JSON.parse(body) as T);
      } catch {
        res.statusCode = 400;
        res.end('{}');
        resolve(undefined);
      }
    });
  });
}

export interface WriteAttempt {
  readonly worker: string;
  readonly token: string; // bigint as decimal text
  readonly value: number;
  readonly readValue: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly accepted: boolean;
}

export class GuardedStore {
  value = 0;
  highest = -1n;
  readonly log: WriteAttempt[] = [];
  readonly #server: Server;
  port = 0;

  constructor() {
    this.#server = createServer(async (req, res) => {
      if (req.url?.startsWith('/read')) {
        // A read carries the reader's token too: once a newer holder has read, an older holder's
        // late write is fenced off (otherwise it could land between the newer read and write).
        const token = BigInt(new URL(req.url, 'http://x').searchParams.get('token') ?? '-1');
        if (token > this.highest) this.highest = token;
        res.end(JSON.stringify({ value: this.value }));
        return;
      }
      const w = await readJson<{ worker: string; token: string; value: number; readValue: number; startedAt: number }>(req, res);
      if (!w) return;
      const token = BigInt(w.token);
      const accepted = token >= this.highest;
      if (accepted) {
        this.highest = token;
        this.value = w.value;
      }
      this.log.push({ ...w, endedAt: Date.now(), accepted });
      res.end(JSON.stringify({ accepted }));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    const address = this.#server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export interface HoldAttempt {
  readonly worker: string;
  readonly token: string;
  readonly kind: 'enter' | 'exit' | 'evicted';
  readonly at: number;
  readonly accepted: boolean;
  /** An enter found maxLeases holders whose lease nodes all still existed: the semaphore over-granted. */
  readonly overGrant?: boolean;
}

/**
 * The semaphore variant of the guarded resource: at most `maxLeases` holders inside at once.
 * Before admitting a holder it evicts those whose lease node no longer exists (their session is
 * gone: a later exit from them is fenced off). If `maxLeases` holders with live lease nodes are
 * already inside when another live lease enters, the semaphore granted too many: a violation.
 */
export class SemaphoreStore {
  readonly log: HoldAttempt[] = [];
  readonly #inside = new Map<string, { worker: string; nodePath: string }>();
  readonly #server: Server;
  #queue: Promise<unknown> = Promise.resolve();
  port = 0;

  constructor(
    readonly maxLeases: number,
    readonly leaseExists: (nodePath: string) => Promise<boolean>,
  ) {
    this.#server = createServer(async (req, res) => {
      const r = await readJson<{ worker: string; token: string; nodePath: string }>(req, res);
      if (!r) return;
      // One request at a time: the accounting below must not interleave.
      const work = this.#queue.then(() => (req.url === '/enter' ? this.#enter(r) : this.#exit(r)));
      this.#queue = work.catch(() => undefined);
      work.then(
        (accepted) => res.end(JSON.stringify({ accepted })),
        () => res.end(JSON.stringify({ accepted: false })),
      );
    });
  }

  async #enter(r: { worker: string; token: string; nodePath: string }): Promise<boolean> {
    for (const [token, holder] of [...this.#inside]) {
      if (!(await this.leaseExists(holder.nodePath))) {
        this.#inside.delete(token);
        this.log.push({ worker: holder.worker, token, kind: 'evicted', at: Date.now(), accepted: true });
      }
    }
    const live = await this.leaseExists(r.nodePath);
    const overGrant = live && this.#inside.size >= this.maxLeases;
    const accepted = live && !overGrant;
    if (accepted) this.#inside.set(r.token, { worker: r.worker, nodePath: r.nodePath });
    this.log.push({ worker: r.worker, token: r.token, kind: 'enter', at: Date.now(), accepted, overGrant });
    return accepted;
  }

  async #exit(r: { worker: string; token: string }): Promise<boolean> {
    const accepted = this.#inside.delete(r.token);
    this.log.push({ worker: r.worker, token: r.token, kind: 'exit', at: Date.now(), accepted });
    return accepted;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    const address = this.#server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
