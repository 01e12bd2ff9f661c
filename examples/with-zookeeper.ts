/**
 * Gives an example a ZooKeeper: ZK_CONNECT_STRING if set, else a TestingServer it starts itself.
 */
import { TestingServer } from 'zk-recipes/testing';

export async function withZooKeeper(run: (connectString: string) => Promise<void>): Promise<void> {
  const external = process.env.ZK_CONNECT_STRING;
  const server = external ? undefined : await TestingServer.start();
  try {
    await run(external ?? server!.connectString);
  } finally {
    await server?.stop();
  }
}
