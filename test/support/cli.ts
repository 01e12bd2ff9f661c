/** Runs the zk-recipes CLI from source (tsx) and collects its exit code and output. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export async function runCli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCliWith({}, ...args);
}

/** {@link runCli} with more environment variables. */
export async function runCliWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/zk-recipes.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
