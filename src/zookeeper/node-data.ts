/** Default node data, as Curator writes it: this host's address as ASCII text. */
import { networkInterfaces } from 'node:os';

let cached: Buffer | undefined;

/** The first non-internal IPv4 address of this host as bytes (`127.0.0.1` when there is none). */
export function localAddressBytes(): Buffer {
  if (cached) return cached;
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  cached = Buffer.from(address ?? '127.0.0.1', 'ascii');
  return cached;
}
