/**
 * Reading a Redis Cluster's topology as the testing kit needs it: the hash slot of a key (as
 * `CLUSTER KEYSLOT`), the lines of `CLUSTER NODES`, and waiting for the cluster to get somewhere.
 */

import { ZkRecipesError } from '../core/errors.js';

/** Asks `check` every 100 ms until it says yes; past `timeoutMs`, throws CLUSTER_TIMEOUT saying `what` did not happen. */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new ZkRecipesError('CLUSTER_TIMEOUT', `${what} within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One line of `CLUSTER NODES`. */
export interface NodeLine {
  readonly id: string;
  readonly port: number;
  readonly master: boolean;
  readonly failed: boolean;
  readonly masterId: string | undefined;
  readonly slots: readonly [number, number][];
}

/** CRC16-CCITT (XMODEM), as Redis Cluster hashes keys. */
function crc16(bytes: Buffer): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The hash slot of a key (its `{hash tag}` when it has a non-empty one), as `CLUSTER KEYSLOT`. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(Buffer.from(key.slice(open + 1, close))) % 16384;
  }
  return crc16(Buffer.from(key)) % 16384;
}

export function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '-', , , , , ...slotFields] = line.trim().split(' ');
      const port = Number(address.split('@')[0]?.split(':').pop());
      const slots = slotFields
        .filter((s) => !s.startsWith('['))
        .map((s) => {
          const [from, to] = s.split('-').map(Number) as [number, number | undefined];
          return [from, to ?? from] as [number, number];
        });
      const flagList = flags.split(',');
      return {
        id,
        port,
        master: flagList.includes('master'),
        failed: flagList.includes('fail') || flagList.includes('fail?'),
        masterId: masterId === '-' ? undefined : masterId,
        slots,
      };
    });
}
