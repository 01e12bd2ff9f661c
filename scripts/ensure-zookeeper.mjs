#!/usr/bin/env node
// Before tests and the demo: make sure a ZooKeeper can be started here. Order: ZK_CONNECT_STRING,
// ZOOKEEPER_HOME, Debian's jars, Homebrew, a Docker engine. If none, install Debian's package
// when we can (root + apt-get), saying so; otherwise print exactly what to run and fail.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const ok = (why) => {
  if (process.env.ZK_RECIPES_VERBOSE) console.log(`zookeeper: ${why}`);
  process.exit(0);
};
const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;

if (process.env.ZK_CONNECT_STRING) ok(`using ZK_CONNECT_STRING=${process.env.ZK_CONNECT_STRING}`);
if (process.env.ZOOKEEPER_HOME && existsSync(process.env.ZOOKEEPER_HOME)) ok(`using ZOOKEEPER_HOME=${process.env.ZOOKEEPER_HOME}`);
if (existsSync('/usr/share/java/zookeeper.jar')) ok("using Debian's /usr/share/java jars");
for (const brew of ['/opt/homebrew/opt/zookeeper/libexec', '/usr/local/opt/zookeeper/libexec']) if (existsSync(brew)) ok(`using ${brew}`);
if (has('docker', ['info'])) ok('using Docker (testcontainers)');

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && has('apt-get', ['--version'])) {
  console.log("zookeeper: none found; installing Debian's `zookeeper` package (apt-get update && apt-get install -y zookeeper)...");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', 'zookeeper'], { stdio: 'inherit', env }) : update;
  if (install.status === 0 && existsSync('/usr/share/java/zookeeper.jar')) ok('installed');
  console.error('zookeeper: the install failed; see the output above.');
  process.exit(1);
}
console.error(
  [
    'zookeeper: no ZooKeeper found and no Docker engine answers. Run one of:',
    '  sudo apt-get update && sudo apt-get install -y zookeeper      # Debian/Ubuntu',
    '  brew install zookeeper                                        # macOS',
    '  export ZOOKEEPER_HOME=/path/to/apache-zookeeper-3.8.x-bin     # a release tarball (needs Java)',
    '  export ZK_CONNECT_STRING=127.0.0.1:2181                       # a server you already run',
  ].join('\n'),
);
process.exit(1);
