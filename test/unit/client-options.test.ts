import { describe, expect, it } from 'vitest';
import { ClientNotStartedError, InvalidArgumentError, InvalidPathError, ZkClient } from '../../src/index.js';

describe('ZkClient argument validation (nothing reaches a server)', () => {
  // Port 1 on loopback: nothing listens there. A validation error must come before any attempt.
  const cs = '127.0.0.1:1';

  it.each([
    [{ connectString: '' }],
    [{ connectString: 42 }],
    [{ connectString: '127.0.0.1:2181/chroot' }],
    [{ connectString: cs, sessionTimeoutMs: 0 }],
    [{ connectString: cs, sessionTimeoutMs: -5 }],
    [{ connectString: cs, connectionTimeoutMs: Number.POSITIVE_INFINITY }],
    [{ connectString: cs, operationTimeoutMs: Number.NaN }],
    [{ connectString: cs, errorPolicy: 'sometimes' }],
    [{ connectString: cs, retry: { maxRetries: -1 } }],
  ])('rejects options %j', (options) => {
    expect(() => new ZkClient(options as never)).toThrow(InvalidArgumentError);
  });

  it('rejects an invalid namespace', () => {
    expect(() => new ZkClient({ connectString: cs, namespace: 'no-slash' })).toThrow(InvalidPathError);
  });

  it('rejects operations before start() with a clear error', async () => {
    const client = new ZkClient({ connectString: cs });
    await expect(client.getData('/a')).rejects.toBeInstanceOf(ClientNotStartedError);
  });

  it('validates paths, versions, data and timeouts before anything else', async () => {
    const client = new ZkClient({ connectString: cs });
    await expect(client.getData('a')).rejects.toBeInstanceOf(InvalidPathError);
    await expect(client.create('/a', 'text' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.create('/a', Buffer.alloc(1_048_577))).rejects.toThrow(/jute.maxbuffer/);
    await expect(client.create('/a', null, { mode: 7 as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.setData('/a', null, { version: -2 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.delete('/a', { version: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.create('/a', null, { acl: [] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.transaction([])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.transaction([{ type: 'nope', path: '/a' } as never])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.blockUntilConnected({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
