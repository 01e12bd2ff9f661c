/** Waiting for and recording connection states in tests. */
import type { ConnectionState, ZkClient } from '../../src/index.js';

/** Resolves when `client` reports `state` (rejects after `timeoutMs`). */
export function waitForState(client: ZkClient, state: ConnectionState, timeoutMs = 20_000): Promise<void> {
  if (client.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`client did not reach ${state} within ${timeoutMs} ms (now ${client.state})`));
    }, timeoutMs);
    const off = client.on('state', (s) => {
      if (s === state) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

/** Records every state a client reports, with the time it was seen. */
export function recordStates(client: ZkClient): { states: ConnectionState[]; at: Map<ConnectionState, number> } {
  const states: ConnectionState[] = [];
  const at = new Map<ConnectionState, number>();
  client.on('state', (s) => {
    states.push(s);
    at.set(s, Date.now());
  });
  return { states, at };
}
