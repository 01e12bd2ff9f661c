/**
 * The CLI's credentials (issue 23, item 13): from a file or the environment, which other local
 * users cannot read; --auth on the command line still works but warns; a credential is never
 * echoed; `tree` shows NO_AUTH where a subtree cannot be read instead of an empty one.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Acls } from '../../recipes/index.js';
import { runCliWith } from '../support/cli.js';
import { sharedConnectString, useTestNamespace } from '../support/zk.js';

const dir = mkdtempSync(join(tmpdir(), 'zk-recipes-cli-auth-'));

describe('zk-recipes CLI credentials (real server)', () => {
  const ns = useTestNamespace();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function guardedTree(): Promise<string> {
    const alice = await ns().client({
      auth: [{ scheme: 'digest', credentials: 'alice:pa55word' }],
      aclProvider: { defaultAcl: [Acls.digest('alice', 'pa55word')] },
    });
    await alice.mkdirp('/vault/shelf');
    await alice.create('/vault/shelf/item');
    return `${ns().namespace}/vault`;
  }

  it('tree without credentials shows NO_AUTH where the subtree cannot be read; with them, the subtree', async () => {
    const path = await guardedTree();
    const anonymous = await runCliWith({ ZK_RECIPES_AUTH: '' }, 'tree', path, '--connect', sharedConnectString());
    expect(anonymous.code).toBe(0);
    expect(anonymous.stdout).toContain('NO_AUTH');
    const viaEnv = await runCliWith({ ZK_RECIPES_AUTH: 'digest:alice:pa55word' }, 'tree', path, '--connect', sharedConnectString());
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toMatch(/shelf\n\s+item/);
    expect(viaEnv.stderr).toBe(''); // no warning: nothing on the command line
  });

  it('--auth-file works (and warns when others can read it); --auth warns that ps shows it; no credential is ever echoed', async () => {
    const path = await guardedTree();
    const file = join(dir, 'zk-auth');
    writeFileSync(file, '# ops credentials\ndigest:alice:pa55word\n');
    chmodSync(file, 0o600);
    const viaFile = await runCliWith({}, 'tree', path, '--connect', sharedConnectString(), '--auth-file', file);
    expect(viaFile.stdout).toMatch(/item/);
    expect(viaFile.stderr).toBe('');
    chmodSync(file, 0o644);
    const readable = await runCliWith({}, 'tree', path, '--connect', sharedConnectString(), '--auth-file', file);
    expect(readable.stderr).toMatch(/can be read by other users/);
    const onCommandLine = await runCliWith({}, 'tree', path, '--connect', sharedConnectString(), '--auth', 'digest:alice:pa55word');
    expect(onCommandLine.stdout).toMatch(/item/);
    expect(onCommandLine.stderr).toMatch(/visible to every local user/);
    expect(onCommandLine.stderr).not.toContain('pa55word');
    for (const bad of [
      ['--auth', 'digestalicepa55word'],
      ['--auth-file', join(dir, 'missing')],
    ]) {
      const refused = await runCliWith({}, 'tree', path, '--connect', sharedConnectString(), ...(bad as [string, string]));
      expect(refused.code).toBe(2);
      expect(`${refused.stdout}${refused.stderr}`).not.toContain('pa55word');
    }
    const badEnv = await runCliWith({ ZK_RECIPES_AUTH: 'pa55word' }, 'tree', path, '--connect', sharedConnectString());
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('$ZK_RECIPES_AUTH');
    expect(badEnv.stderr).not.toContain('pa55word');
  });
});
