/**
 * The package as a new user gets it: `npm pack`, installed into a fresh project (with neither
 * `redis` nor `pg`), then loaded from ESM, CommonJS and TypeScript (NodeNext ESM, NodeNext
 * CommonJS, Bundler), and every `ts` block of the README type-checked against it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeBlocks, readmeGlobals } from './readme-blocks.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const SUBPATHS = ['zk-recipes', 'zk-recipes/redis', 'zk-recipes/postgres', 'zk-recipes/testing'];
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

let work: string;
let consumer: string;
let packed: string[];

function run(cmd: string, args: string[], cwd: string): string {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** A sub-project of the consumer (its own package.json type and tsconfig); node_modules is the parent's. */
function project(name: string, type: 'module' | 'commonjs', compilerOptions: Record<string, unknown>): string {
  const dir = join(consumer, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type }));
  const options = {
    strict: true,
    target: 'ES2022',
    lib: ['ES2023', 'ESNext.Disposable'],
    types: ['node'],
    outDir: 'out',
    ...compilerOptions,
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, include: ['*.ts'] }));
  return dir;
}

const USE_EVERY_ENTRY = `
import { InterProcessMutex, ZkClient, type Lease } from 'zk-recipes';
import { RedisLock } from 'zk-recipes/redis';
import { PostgresLock } from 'zk-recipes/postgres';
import { TestingServer } from 'zk-recipes/testing';
const release = (lease: Lease): Promise<void> => lease.release();
console.log(JSON.stringify([ZkClient, InterProcessMutex, RedisLock, PostgresLock, TestingServer, release].map((f) => typeof f)));
`;
const EVERY_ENTRY_LOADED = JSON.stringify(Array(6).fill('function'));

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'zk-recipes-package-'));
  const [pack] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root)) as [
    { filename: string; files: { path: string }[] },
  ];
  packed = pack.files.map((f) => f.path);
  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', join(work, pack.filename), '@types/node@^20.19'],
    consumer,
  );
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships the build, the licence and the README, and no source maps without sources or tests', () => {
    expect(packed).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/recipes/index.js', 'dist/bin/zk-recipes.js']),
    );
    expect(packed.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(packed.filter((f) => !f.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(f))).toEqual([]);
  });

  it('installs without redis or pg, and every entry loads with import and with require', () => {
    expect(existsSync(join(consumer, 'node_modules/redis'))).toBe(false);
    expect(existsSync(join(consumer, 'node_modules/pg'))).toBe(false);
    const names = JSON.stringify(SUBPATHS);
    const esm = run(
      process.execPath,
      ['--input-type=module', '-e', `for (const p of ${names}) console.log(p, Object.keys(await import(p)).length);`],
      consumer,
    );
    const cjs = run(
      process.execPath,
      [
        '-e',
        `for (const p of ${names}) console.log(p, Object.keys(require(p)).length); console.log(require('zk-recipes/package.json').version)`,
      ],
      consumer,
    );
    const counts = esm.trim().split('\n');
    expect(counts).toHaveLength(4);
    for (const line of counts) expect(Number(line.split(' ')[1])).toBeGreaterThan(10);
    expect(cjs.trim().split('\n')).toEqual([...counts, version]);
  });

  it('a CommonJS require() sees the same classes as import (one copy: instanceof holds across both)', () => {
    const out = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module'; import * as z from 'zk-recipes';
       const required = createRequire(import.meta.url)('zk-recipes');
       console.log(required.ZkRecipesError === z.ZkRecipesError && new required.InvalidArgumentError('x') instanceof z.ZkRecipesError);`,
      ],
      consumer,
    );
    expect(out.trim()).toBe('true');
  });

  for (const [name, type, options, runs] of [
    ['ts-nodenext-esm', 'module', { module: 'nodenext', moduleResolution: 'nodenext' }, true],
    ['ts-nodenext-cjs', 'commonjs', { module: 'nodenext', moduleResolution: 'nodenext' }, true],
    ['ts-bundler', 'module', { module: 'preserve', moduleResolution: 'bundler', noEmit: true }, false],
  ] as const) {
    it(`TypeScript (${name}) type-checks every entry${runs ? ', and the output runs' : ''}`, () => {
      const dir = project(name, type, options);
      writeFileSync(join(dir, 'main.ts'), USE_EVERY_ENTRY);
      run(process.execPath, [tsc, '-p', dir], dir);
      if (runs) expect(run(process.execPath, [join(dir, 'out/main.js')], dir).trim()).toBe(EVERY_ENTRY_LOADED);
    });
  }

  it('the CLI answers --version', () => {
    expect(execFileSync(join(consumer, 'node_modules/.bin/zk-recipes'), ['--version'], { encoding: 'utf8' }).trim()).toBe(version);
  });

  it('every ts block of the README type-checks against the installed package', () => {
    const dir = project('readme', 'module', { module: 'nodenext', moduleResolution: 'nodenext', noEmit: true });
    // the README's blocks also use the user's own redis and pg clients: this project has them (types)
    mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
    for (const dep of ['redis', 'pg', '@types/pg']) symlinkSync(join(root, 'node_modules', dep), join(dir, 'node_modules', dep));
    const blocks = readmeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThan(15);
    writeFileSync(join(dir, 'globals.ts'), readmeGlobals);
    for (const block of blocks) writeFileSync(join(dir, `block-${block.line}.ts`), block.source);
    const result = spawnSync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
    // each error names the block by the README line its fence is on
    expect(result.stdout.replace(/block-(\d+)\.ts/g, 'README.md block at line $1')).toBe('');
  });
});
