/**
 * The guarded store of the chaos run: one shared record behind HTTP on loopback. It accepts a
 * write only with a fencing token at least as high as the highest it has seen (on a read or an
 * accepted write), and logs every attempt for the checker.
 */
import { createServer, type Server } from 'node:http';

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
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (req.url?.startsWith('/read')) {
          // A read carries the reader's token too: once a newer holder has read, an older holder's
          // late write is fenced off (otherwise it could land between the newer read and write).
          const token = BigInt(new URL(req.url, 'http://x').searchParams.get('token') ?? '-1');
          if (token > this.highest) this.highest = token;
          res.end(JSON.stringify({ value: this.value }));
          return;
        }
        const w = JSON.parse(body) as { worker: string; token: string; value: number; readValue: number; startedAt: number };
        const token = BigInt(w.token);
        const accepted = token >= this.highest;
        if (accepted) {
          this.highest = token;
          this.value = w.value;
        }
        this.log.push({ ...w, endedAt: Date.now(), accepted });
        res.end(JSON.stringify({ accepted }));
      });
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
