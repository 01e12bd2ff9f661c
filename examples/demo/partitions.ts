/**
 * Scene 4: three worker processes split 12 shards with a WorkPartitioner; one is SIGKILLed and
 * only its shards move, once its session has expired on the server.
 */
import type { ChildProcess } from 'node:child_process';
import { bold, colours, exited, green, red, say, startWorker, until, yellow } from './kit.js';

export async function partitionedWork(cs: string, ns: string): Promise<string> {
  console.log(bold('\n4. Partitioned work: 12 shards among 3 workers, one owner each'));
  const owner = new Map<string, string>();
  const procs = new Map<string, ChildProcess>();
  const ids = ['worker-1', 'worker-2', 'worker-3'];
  const shardsOf = (id: string) =>
    [...owner]
      .filter(([, o]) => o === id)
      .map(([s]) => s)
      .sort((a, b) => Number(a) - Number(b));
  for (const [i, id] of ids.entries()) {
    const colour = colours[i] ?? ((s: string) => s);
    procs.set(
      id,
      startWorker('partition', cs, ns, id, (e) => {
        const shard = String(e.partition);
        if (e.event === 'assigned') owner.set(shard, id);
        if (e.event === 'revoked' && owner.get(shard) === id) owner.delete(shard);
        if (e.event === 'settled') say(`${colour(id)} owns shards [${e.owned}] (token per shard from its lock)`);
      }),
    );
  }
  const allOwned = () => owner.size === 12 && ids.some((id) => shardsOf(id).length > 0);
  if (!(await until(() => allOwned() && ids.every((id) => shardsOf(id).length === 4), 20_000)))
    throw new Error('the shards were not split 4/4/4');
  const victim = 'worker-2';
  const moving = shardsOf(victim);
  const staying = new Map([...owner].filter(([, o]) => o !== victim));
  say(red(`killing ${victim} (SIGKILL) while it owns shards [${moving}]`));
  const killedAt = Date.now();
  procs.get(victim)?.kill('SIGKILL');
  for (const shard of moving) owner.delete(shard);
  const reowned = await until(() => moving.every((s) => owner.has(s) && owner.get(s) !== victim), 20_000);
  const took = ((Date.now() - killedAt) / 1000).toFixed(1);
  const stayed = [...staying].every(([shard, o]) => owner.get(shard) === o);
  if (reowned) say(green(`its ${moving.length} shards have new owners ${took}s after the crash`));
  say(stayed ? green('no other shard moved') : red('other shards moved too'));
  for (const id of ids.filter((x) => x !== victim)) say(`${yellow(id)} now owns [${shardsOf(id)}]`);
  for (const child of procs.values()) child.kill('SIGTERM');
  await Promise.all([...procs.values()].map(exited));
  if (!reowned) throw new Error('the killed worker’s shards were not taken over');
  if (!stayed) throw new Error('shards of live workers moved');
  return `${victim} killed; its ${moving.length} shards re-owned in ${took}s, the rest stayed put`;
}
