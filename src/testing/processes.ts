/**
 * Child processes of the testing kit, which must never outlive the test run: each one gets a
 * tiny watchdog that SIGKILLs it when this process dies (even by SIGKILL), and an exit hook.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Spawns `command` with output appended to `logFile` (stdout may be piped instead), guarded
 * against orphaning.
 */
export function spawnGuarded(command: string, args: readonly string[], logFile: string, options: { stdout?: 'pipe' } = {}): ChildProcess {
  hookExit();
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: [options.stdout ? 'pipe' : 'ignore', options.stdout ? 'pipe' : fd, fd] });
  closeSync(fd);
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (child.pid) {
    const guard = spawn(
      'sh',
      [
        '-c',
        `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${child.pid} 2>/dev/null; do sleep 1; done; kill -9 ${child.pid} 2>/dev/null`,
      ],
      { stdio: 'ignore', detached: true },
    );
    guard.unref();
  }
  return child;
}

/** SIGKILLs a child (waking it first if stopped) and waits for it to exit. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}
