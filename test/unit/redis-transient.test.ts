/**
 * Which Redis answers are "not now, ask again" (issue 23 item 3): runScript retries BUSY, LOADING,
 * MASTERDOWN, TRYAGAIN and CLUSTERDOWN until the call's deadline, then says what it saw. Pure
 * logic over a fake client (the real-server test with LOADING is in redis-edges.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { RedisBusyError, RedisCommandError, RedisUnavailableError } from '../../redis/errors.js';
import { luaScript, type RedisClientLike, runScript } from '../../redis/scripts.js';
import { ClientClosedError } from '../../src/core/errors.js';

const script = luaScript('t', 'return 1');

function fakeClient(answers: (string | number)[], open = true): RedisClientLike & { calls: number } {
  const client = {
    calls: 0,
    isOpen: open,
    isReady: open,
    sendCommand: async () => {
      const answer = answers[Math.min(client.calls++, answers.length - 1)];
      if (typeof answer === 'string') throw new Error(answer);
      return answer;
    },
    duplicate: () => {
      throw new Error('not used');
    },
  };
  return client;
}

describe('runScript: answers worth asking again', () => {
  for (const state of ['BUSY', 'LOADING', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN']) {
    it(`${state} is retried until an answer comes`, async () => {
      const client = fakeClient([`${state} not now`, `${state} not now`, 1]);
      await expect(runScript(client, script, ['k'], [], Date.now() + 2000)).resolves.toBe(1);
      expect(client.calls).toBe(3);
    });
  }

  it('until the deadline, the whole of it: then RedisBusyError for BUSY, RedisUnavailableError for the others', async () => {
    const t0 = Date.now();
    await expect(runScript(fakeClient(['BUSY script running']), script, [], [], t0 + 150)).rejects.toBeInstanceOf(RedisBusyError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
    await expect(runScript(fakeClient(['LOADING dataset']), script, [], [], Date.now() + 100)).rejects.toBeInstanceOf(
      RedisUnavailableError,
    );
  });

  it('other errors are not retried; a closed client is ClientClosedError before anything is sent', async () => {
    const wrong = fakeClient(['WRONGTYPE Operation against a key holding the wrong kind of value']);
    await expect(runScript(wrong, script, [], [], Date.now() + 1000)).rejects.toBeInstanceOf(RedisCommandError);
    expect(wrong.calls).toBe(1);
    const closed = fakeClient([1], false);
    await expect(runScript(closed, script, [], [], Date.now() + 1000)).rejects.toBeInstanceOf(ClientClosedError);
    expect(closed.calls).toBe(0);
  });
});
