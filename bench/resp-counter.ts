/**
 * Counts the Redis commands this process sends to one port, whichever client library sends them:
 * a RESP request parser on every socket write. The server's own counters (INFO commandstats,
 * total_commands_processed) also count the commands a Lua script runs inside, which would make a
 * one-script lock look like a chatty one.
 */
import { Socket } from 'node:net';

interface Parse {
  phase: 'header' | 'bulkLen' | 'bulk';
  line: string;
  args: number;
  bulkLeft: number;
}

/** Counts RESP commands written to `port` from install() until the returned uninstall. */
export class RespCommandCounter {
  count = 0;
  readonly #states = new WeakMap<Socket, Parse>();

  install(port: number): () => void {
    const original = Socket.prototype.write;
    const counter = this;
    Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
      if (this.remotePort === port) counter.#feed(this, typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof original;
    return () => {
      Socket.prototype.write = original;
    };
  }

  #feed(socket: Socket, bytes: Buffer): void {
    let s = this.#states.get(socket);
    if (!s) {
      s = { phase: 'header', line: '', args: 0, bulkLeft: 0 };
      this.#states.set(socket, s);
    }
    let i = 0;
    while (i < bytes.length) {
      if (s.phase === 'bulk') {
        const take = Math.min(s.bulkLeft, bytes.length - i);
        s.bulkLeft -= take;
        i += take;
        if (s.bulkLeft === 0) {
          s.args--;
          s.phase = s.args > 0 ? 'bulkLen' : 'header';
        }
        continue;
      }
      const end = bytes.indexOf(10, i); // '\n'
      if (end < 0) {
        s.line += bytes.toString('latin1', i);
        return;
      }
      const line = (s.line + bytes.toString('latin1', i, end)).replace(/\r$/, '');
      s.line = '';
      i = end + 1;
      if (s.phase === 'header') {
        if (line.startsWith('*')) {
          this.count++;
          s.args = Number(line.slice(1));
          if (s.args > 0) s.phase = 'bulkLen';
        } else if (line.length > 0) this.count++; // an inline command
      } else {
        s.bulkLeft = Number(line.slice(1)) + 2;
        s.phase = 'bulk';
      }
    }
  }
}
