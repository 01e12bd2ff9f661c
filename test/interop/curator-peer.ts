/**
 * Drives CuratorPeer.java (a Curator 5.x participant of our own) from the tests: compiles it with
 * javac against Debian's jars on first use, starts it as a guarded child process, and sends it
 * one-line requests that it answers with one JSON line each.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { curatorClasspath } from '../../src/testing/locate.js';
import { killHard, spawnGuarded } from '../../src/testing/processes.js';
import { afterEach, beforeEach } from 'vitest';
import { TestNamespace } from '../../src/testing/index.js';
import { sharedConnectString } from '../support/zk.js';

const JARS = '/usr/share/java';
const CLASSPATH_JARS = curatorClasspath();

/** Why the interop tests cannot run here, or undefined when they can. */
export function interopUnavailableReason(): string | undefined {
  if (!existsSync(join(JARS, 'curator-recipes.jar'))) return 'Curator jars missing: apt-get install libcurator-recipes-java';
  if (spawnSync('javac', ['-version'], { stdio: 'ignore' }).status !== 0) return 'javac missing: apt-get install default-jdk-headless';
  return undefined;
}

let compiled: string | undefined;

function compile(): string {
  if (compiled) return compiled;
  const dir = mkdtempSync(join(tmpdir(), 'zk-recipes-peer-'));
  const source = fileURLToPath(new URL('./CuratorPeer.java', import.meta.url));
  const result = spawnSync('javac', ['-nowarn', '-cp', CLASSPATH_JARS.join(':'), '-d', dir, source], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`javac failed:\n${result.stderr}`);
  compiled = dir;
  return dir;
}

export interface PeerReply {
  readonly ok: boolean;
  readonly error?: string;
  readonly acquired?: boolean;
  readonly leader?: boolean;
  readonly revoked?: boolean;
  readonly released?: boolean;
  readonly succeeded?: boolean;
  readonly value?: number | string;
  readonly node?: string;
  readonly nodes?: string[];
  readonly participants?: { id: string; isLeader: boolean }[];
}

/** One Curator client (one session) in a Java process. */
export class CuratorPeer {
  readonly #child: ChildProcess;
  readonly #pending = new Map<string, { resolve: (r: PeerReply) => void; reject: (e: Error) => void }>();
  #next = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Starts a peer connected to `connectString`, inside `namespace` ('/t-x' style or ''); `digest` ('user:password') authenticates it and makes its nodes that user's alone. */
  static async start(connectString: string, namespace: string, digest?: string): Promise<CuratorPeer> {
    const dir = compile();
    const logDir = mkdtempSync(join(tmpdir(), 'zk-recipes-peer-log-'));
    const child = spawnGuarded(
      'java',
      [
        '-Xmx128m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-cp',
        [...CLASSPATH_JARS, dir].join(':'),
        'CuratorPeer',
        connectString,
        namespace.replace(/^\//, ''),
        ...(digest ? [`digest:${digest}`] : []),
      ],
      join(logDir, 'peer.log'),
      { stdout: 'pipe' },
    );
    const peer = new CuratorPeer(child);
    const ready = new Promise<void>((resolve, reject) => {
      peer.#pending.set('ready', { resolve: () => resolve(), reject });
      child.once('exit', (code) => reject(new Error(`CuratorPeer exited with ${code} before it was ready; see ${logDir}/peer.log`)));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let reply: PeerReply & { id: string };
      try {
        reply = JSON.parse(line) as PeerReply & { id: string };
      } catch {
        return;
      }
      const waiter = peer.#pending.get(reply.id);
      peer.#pending.delete(reply.id);
      if (!waiter) return;
      if (reply.ok) waiter.resolve(reply);
      else waiter.reject(new Error(`CuratorPeer: ${reply.error}`));
    });
    await ready;
    return peer;
  }

  /** Sends `op` for `handle` (each handle is one Java thread) and resolves to the reply. */
  request(handle: string, op: string, ...args: (string | number)[]): Promise<PeerReply> {
    const id = String(++this.#next);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.stdin!.write(`${id} ${handle} ${op} ${args.join(' ')}\n`);
    });
  }

  /** Ends the Java process (its session closes; its ephemeral nodes go). */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin!.write('0 - quit\n');
    const timer = setTimeout(() => void killHard(this.#child), 5000);
    await exited;
    clearTimeout(timer);
    for (const { reject } of this.#pending.values()) reject(new Error('CuratorPeer stopped'));
    this.#pending.clear();
  }

  /** Kills the Java process at once (its session then expires on the server). */
  async kill(): Promise<void> {
    await killHard(this.#child);
  }
}

/**
 * Per-test hooks for an interop suite: a fresh namespace on the shared server and the Curator peers
 * started in it, all stopped and cleaned up after each test.
 */
export function useCuratorPeers(): { ns: () => TestNamespace; peer: () => Promise<CuratorPeer> } {
  let current: TestNamespace | undefined;
  let peers: CuratorPeer[] = [];
  beforeEach(() => {
    current = new TestNamespace(sharedConnectString());
  });
  afterEach(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    peers = [];
    await current?.cleanup();
    current = undefined;
  });
  const ns = (): TestNamespace => {
    if (!current) throw new Error('useCuratorPeers(): only inside a test');
    return current;
  };
  const peer = async (): Promise<CuratorPeer> => {
    const started = await CuratorPeer.start(ns().connectString, ns().namespace);
    peers.push(started);
    return started;
  };
  return { ns, peer };
}
