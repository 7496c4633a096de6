import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * Starts `disparo <command>` as a real child process (through tsx), with extra environment.
 * DISPARO_CHILD_NODE_ARGS adds Node options to the child only (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
 * to profile a bench's dispatch worker; NODE_OPTIONS does not allow --cpu-prof).
 */
export function spawnDisparo(command: string, env: Record<string, string>): ChildProcess & { output: () => string } {
  const nodeArgs = (process.env.DISPARO_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(ROOT, 'src/cli/disparo.ts'), command], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return Object.assign(child, { output: () => output });
}

export async function waitForOutput(
  child: { output: () => string },
  pattern: RegExp,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(child.output())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${pattern}; output:\n${child.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
