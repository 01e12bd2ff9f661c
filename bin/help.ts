/** The CLI's help texts, by command. */
import { CONNECTION_HELP } from './connection-options.js';

export const HELP: Record<string, string> = {
  main: `zk-recipes — inspect and operate zk-recipes / Curator recipes on ZooKeeper

Usage:
  zk-recipes inspect <path> [--connect <cs>] [--json] [--watch]
  zk-recipes inspect <lock-name> --redis <url> [--prefix <p>] [--json]
  zk-recipes inspect <lock-name> --postgres <url> [--table <t>] [--json]
  zk-recipes tree <path> [--connect <cs>]
  zk-recipes revoke <node-path> [--connect <cs>]
  zk-recipes dev-server [--port 2181] [--with-redis] [--with-postgres]
  zk-recipes <command> --help
  zk-recipes --version

${CONNECTION_HELP}`,
  inspect: `zk-recipes inspect <path> [--connect <cs>] [--json] [--watch]
zk-recipes inspect <lock-name> --redis <url> [--prefix <p>] [--json]
zk-recipes inspect <lock-name> --postgres <url> [--table <t>] [--json]

Recognises the recipe at <path> (mutex or leader selector, read-write lock, semaphore, leader
latch; Curator's nodes included) and lists its nodes in queue order: role (holder, waiting,
leader, lease, ...), node name, owner session, data/id and age. <path> is as ZooKeeper sees it:
a client's namespace is part of it (a mutex at /locks/a of a client with namespace /app is
/app/locks/a here), while lease.nodePath leaves the namespace out.
With --redis or --postgres: a RedisLock or PostgresLock named <lock-name> — holder (memo, lease
time left, fencing token) and waiters in line order. Needs the \`redis\` or \`pg\` package.
  --json    machine-readable output
  --watch   refresh whenever the nodes change (Ctrl-C to stop; ZooKeeper only)`,
  'dev-server': `zk-recipes dev-server [--port 2181] [--with-redis] [--with-postgres]

Starts a throwaway ZooKeeper on 127.0.0.1:<port> (default 2181) for a first run and local
development — and Redis on 6379 and PostgreSQL on a free port when asked — from a local install
(Debian's zookeeper, redis-server, postgresql packages; Homebrew; ZOOKEEPER_HOME) or Docker.
Data lives in temporary directories and is gone when it stops (Ctrl-C). Not for production.`,
  tree: `zk-recipes tree <path> [--connect <cs>]

Prints the subtree under <path> compactly, one node per line, with ephemeral owners.`,
  revoke: `zk-recipes revoke <node-path> [--connect <cs>]

Asks the holder of a lock node to release it by writing __REVOKE__ into the node (Curator's
Revoker.attemptRevoke). Only holders that made their lock revocable react. Anything that is not the
ephemeral lock node of a mutex or read-write lock (a counter, a lock's parent, a semaphore or latch
node) is refused and left untouched (exit 1).`,
};
