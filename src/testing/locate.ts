/**
 * Finds a ZooKeeper to test against: an external ensemble, a local install, or Docker.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ZooKeeperNotFoundError } from '../core/errors.js';

/** Where the testing kit's servers come from. */
export type ZooKeeperSource =
  | { readonly kind: 'external'; readonly connectString: string }
  | { readonly kind: 'local'; readonly java: string; readonly classpath: readonly string[]; readonly origin: string }
  | { readonly kind: 'docker'; readonly image: string };

/** Jars the server needs from Debian's /usr/share/java (a small classpath starts faster). */
const DEBIAN_JARS = [
  'zookeeper.jar',
  'zookeeper-jute.jar',
  'slf4j-api.jar',
  'slf4j-simple.jar',
  'commons-io.jar',
  'commons-cli.jar',
  'metrics-core.jar',
  'snappy-java.jar',
  'netty-handler.jar',
  'netty-common.jar',
  'netty-buffer.jar',
  'netty-transport.jar',
  'netty-codec.jar',
  'netty-resolver.jar',
  'netty-transport-native-epoll.jar',
  'netty-transport-native-unix-common.jar',
];

/** Debian's jars for a Curator 5.x client (libcurator-recipes-java): a Java peer's classpath in tests. */
export function curatorClasspath(): string[] {
  const extra = ['curator-client.jar', 'curator-framework.jar', 'curator-recipes.jar', 'guava.jar', 'slf4j-nop.jar'];
  return [...extra, ...DEBIAN_JARS.filter((j) => j !== 'slf4j-simple.jar')].map((j) => join('/usr/share/java', j));
}

/** How to get a ZooKeeper, printed when none is found. */
export const INSTALL_HINT = [
  'No ZooKeeper found. Do one of:',
  '  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y zookeeper   (jars land in /usr/share/java)',
  '  macOS:         brew install zookeeper',
  '  any:           set ZOOKEEPER_HOME to an unpacked Apache ZooKeeper 3.8 release (needs Java 11+)',
  '  Docker:        start a Docker engine (testcontainers runs the zookeeper:3.8 image)',
  '  existing:      ZK_CONNECT_STRING=127.0.0.1:2181 (fault-injection tests then skip)',
].join('\n');

function findJava(): string | undefined {
  const candidates = [process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : undefined, 'java'];
  for (const java of candidates) {
    if (!java) continue;
    const r = spawnSync(java, ['-version'], { stdio: 'ignore', timeout: 10_000 });
    if (r.status === 0) return java;
  }
  return undefined;
}

function jarsIn(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.jar'))
        .map((f) => join(dir, f))
    : [];
}

function localClasspath(): { classpath: string[]; origin: string } | undefined {
  const home = process.env.ZOOKEEPER_HOME;
  if (home) {
    const jars = [...jarsIn(home), ...jarsIn(join(home, 'lib'))];
    if (jars.some((j) => /zookeeper-\d.*\.jar$/.test(j))) return { classpath: jars, origin: `ZOOKEEPER_HOME=${home}` };
  }
  if (existsSync('/usr/share/java/zookeeper.jar')) {
    const jars = DEBIAN_JARS.map((j) => join('/usr/share/java', j)).filter((j) => existsSync(j));
    return { classpath: jars, origin: 'Debian /usr/share/java' };
  }
  for (const brew of ['/opt/homebrew/opt/zookeeper/libexec', '/usr/local/opt/zookeeper/libexec']) {
    const jars = [...jarsIn(brew), ...jarsIn(join(brew, 'lib'))];
    if (jars.length > 0) return { classpath: jars, origin: `Homebrew ${brew}` };
  }
  return undefined;
}

/** True when a Docker engine answers (not just a client binary). */
export function dockerAnswers(): boolean {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

/** True when servers can be started here (not an external ensemble). */
export function canStartServers(): boolean {
  return !process.env.ZK_CONNECT_STRING;
}

/**
 * Finds ZooKeeper in this order: ZK_CONNECT_STRING, ZOOKEEPER_HOME, Debian's jars, Homebrew,
 * Docker. Throws {@link ZooKeeperNotFoundError} with install instructions when none is there.
 */
export function locateZooKeeper(options: { allowExternal?: boolean } = {}): ZooKeeperSource {
  const external = process.env.ZK_CONNECT_STRING;
  if (external && options.allowExternal !== false) return { kind: 'external', connectString: external };
  const local = localClasspath();
  if (local) {
    const java = findJava();
    if (java) return { kind: 'local', java, ...local };
    if (!dockerAnswers()) {
      throw new ZooKeeperNotFoundError(
        `ZooKeeper jars found (${local.origin}) but no Java runtime: install one (apt-get install default-jre-headless) or set JAVA_HOME.`,
      );
    }
  }
  if (dockerAnswers()) return { kind: 'docker', image: process.env.ZK_DOCKER_IMAGE ?? 'zookeeper:3.8' };
  throw new ZooKeeperNotFoundError(INSTALL_HINT);
}
