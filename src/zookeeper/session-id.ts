/**
 * One way to write a session id everywhere — `client.sessionId`, `Stat.ephemeralOwner`, logs,
 * diagnostics, `inspect` and the CLI: `0x` and lower-case hex without leading zeros, as
 * ZooKeeper's own server logs, `zkCli.sh` and the four-letter words write it, so an id found in one
 * can be searched for in the others. `0x0` is "no session" (a persistent node's owner).
 */

/** The owner of a persistent node. */
export const NO_SESSION = '0x0';

/** Writes a session id (a bigint, or hex with or without `0x` and leading zeros) the one way. */
export function formatSessionId(id: bigint | string): string {
  const value = typeof id === 'bigint' ? id : BigInt(id.startsWith('0x') ? id : `0x${id || '0'}`);
  // one shared string for every persistent node's Stat (a cache holds thousands)
  return value === 0n ? NO_SESSION : `0x${value.toString(16)}`;
}

/** True when two session ids (in any of the forms above) are the same session. */
export function sameSession(a: string | undefined, b: string): boolean {
  return a !== undefined && a !== '' && formatSessionId(a) === formatSessionId(b);
}
