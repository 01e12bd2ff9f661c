#!/usr/bin/env node
// Before tests, the demo and the bench: make sure a ZooKeeper, a Redis and a PostgreSQL can be started here,
// and that Curator's jars (and javac) are there for the interop tests and `bench --vs-curator`.
// ZooKeeper, in this order: ZK_CONNECT_STRING, ZOOKEEPER_HOME, Debian's jars, Homebrew, a Docker
// engine. What is missing is installed from Debian's packages when we can (root + apt-get),
// saying so; otherwise we print exactly what to run (and fail only when there is no ZooKeeper).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const verbose = (why) => {
  if (process.env.ZK_RECIPES_VERBOSE) console.log(why);
};
const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const canApt = isRoot && has('apt-get', ['--version']);
let updated = false;

function aptInstall(packages, why) {
  console.log(`${why}: installing Debian's ${packages.join(' ')} (apt-get install -y ${packages.join(' ')})...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    if (spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env }).status !== 0) return false;
    updated = true;
  }
  return spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env }).status === 0;
}

function zooKeeperFound() {
  if (process.env.ZK_CONNECT_STRING) return `using ZK_CONNECT_STRING=${process.env.ZK_CONNECT_STRING}`;
  if (process.env.ZOOKEEPER_HOME && existsSync(process.env.ZOOKEEPER_HOME)) return `using ZOOKEEPER_HOME=${process.env.ZOOKEEPER_HOME}`;
  if (existsSync('/usr/share/java/zookeeper.jar')) return "using Debian's /usr/share/java jars";
  for (const brew of ['/opt/homebrew/opt/zookeeper/libexec', '/usr/local/opt/zookeeper/libexec'])
    if (existsSync(brew)) return `using ${brew}`;
  if (has('docker', ['info'])) return 'using Docker (testcontainers)';
  return undefined;
}

let found = zooKeeperFound();
if (!found && canApt && aptInstall(['zookeeper'], 'zookeeper: none found') && existsSync('/usr/share/java/zookeeper.jar'))
  found = 'installed';
if (!found) {
  console.error(
    [
      canApt
        ? 'zookeeper: the install failed; see the output above.'
        : 'zookeeper: no ZooKeeper found and no Docker engine answers. Run one of:',
      '  sudo apt-get update && sudo apt-get install -y zookeeper      # Debian/Ubuntu',
      '  brew install zookeeper                                        # macOS',
      '  export ZOOKEEPER_HOME=/path/to/apache-zookeeper-3.8.x-bin     # a release tarball (needs Java)',
      '  export ZK_CONNECT_STRING=127.0.0.1:2181                       # a server you already run',
    ].join('\n'),
  );
  process.exit(1);
}
verbose(`zookeeper: ${found}`);

// Curator 5.4 and javac: the interop tests and `bench --vs-curator` need them; without them those
// tests skip (saying why), so install them here rather than let a newcomer's run skip quietly.
const curatorMissing = !existsSync('/usr/share/java/curator-recipes.jar') || !existsSync('/usr/share/java/curator-test.jar');
const javacMissing = !has('javac', ['-version']);
// openssl makes the throwaway certificates of the TLS test servers.
const opensslMissing = !has('openssl', ['version']);
if (curatorMissing || javacMissing || opensslMissing) {
  const packages = [
    ...(curatorMissing ? ['libcurator-recipes-java', 'libcurator-test-java'] : []),
    ...(javacMissing ? ['default-jdk-headless'] : []),
    ...(opensslMissing ? ['openssl'] : []),
  ];
  if (!(canApt && aptInstall(packages, 'tests: the Curator interop and TLS tests need Curator 5.4, javac and openssl'))) {
    console.log(
      `tests: not installed; the Curator interop tests will skip and TLS tests fail. Run: sudo apt-get install -y ${packages.join(' ')}`,
    );
  }
}
// Redis: the Redis lock's tests and bench start redis-server from Debian's `redis-server`
// package (or REDIS_SERVER, Homebrew, a Docker engine).
const redisFound =
  (process.env.REDIS_SERVER && existsSync(process.env.REDIS_SERVER)) ||
  ['/usr/bin/redis-server', '/opt/homebrew/bin/redis-server', '/usr/local/bin/redis-server'].some((p) => existsSync(p)) ||
  has('redis-server', ['--version']) ||
  has('docker', ['info']);
if (!redisFound) {
  if (canApt && aptInstall(['redis-server'], 'redis: none found') && existsSync('/usr/bin/redis-server')) {
    // Debian's package starts a system service on 6379; the tests start their own servers instead.
    spawnSync('sh', ['-c', 'systemctl disable --now redis-server 2>/dev/null || service redis-server stop 2>/dev/null || true'], {
      stdio: 'ignore',
    });
  } else {
    console.error(
      [
        'redis: no redis-server found and no Docker engine answers. Run one of:',
        '  sudo apt-get update && sudo apt-get install -y redis-server   # Debian/Ubuntu',
        '  brew install redis                                            # macOS',
        '  export REDIS_SERVER=/path/to/redis-server                     # a build of your own',
      ].join('\n'),
    );
    process.exit(1);
  }
}
// PostgreSQL: the PostgreSQL lock's tests and bench run initdb + postgres from Debian's
// `postgresql` package (or PG_BIN, pg_config, a Docker engine).
const pgFound =
  (process.env.PG_BIN && existsSync(`${process.env.PG_BIN}/initdb`)) ||
  (existsSync('/usr/lib/postgresql') && spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/initdb'], { stdio: 'ignore' }).status === 0) ||
  has('pg_config', ['--bindir']) ||
  has('docker', ['info']);
if (!pgFound) {
  if (canApt && aptInstall(['postgresql'], 'postgresql: none found')) {
    // Debian's package starts a system cluster on 5432; the tests start their own servers instead.
    spawnSync('sh', ['-c', 'service postgresql stop 2>/dev/null || true'], { stdio: 'ignore' });
  } else {
    console.error(
      [
        'postgresql: no PostgreSQL server binaries found and no Docker engine answers. Run one of:',
        '  sudo apt-get update && sudo apt-get install -y postgresql   # Debian/Ubuntu',
        '  brew install postgresql@16                                  # macOS',
        '  export PG_BIN=/path/to/postgresql/bin                       # initdb, postgres, pg_isready',
      ].join('\n'),
    );
    process.exit(1);
  }
}
process.exit(0);
