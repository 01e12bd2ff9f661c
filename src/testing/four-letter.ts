/** ZooKeeper's four-letter-word admin commands (ruok, srvr, mntr, cons, wchc) over a plain socket. */
import { connect } from 'node:net';

/** Sends a four-letter command and resolves to the whole answer ('' on any error or timeout). */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('connect', () => socket.end(word));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** Parses `mntr` output into a map of numbers (and strings). */
export async function monitor(host: string, port: number): Promise<Record<string, string>> {
  const text = await fourLetterWord(host, port, 'mntr');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.split('\t');
    if (k && v !== undefined) out[k.trim()] = v.trim();
  }
  return out;
}
