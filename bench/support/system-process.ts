import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitOf, waitForOutput } from '../../test/support/processes';
import { freePort } from '../../test/support/system';

const ROOT = join(__dirname, '..', '..');

export interface SystemProcess {
  url: string;
  pid: number;
  /** Peak resident memory of the process so far (Linux VmHWM), in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/**
 * Builds the project (`npm run build`, as the Docker image does) and starts `node dist/src/cli/disparo.js
 * start` as its own process: what is measured is the deployed artifact, without the benchmark
 * driver's memory or tsx's in-process compiler.
 */
export async function startSystemProcess(env: Record<string, string>): Promise<SystemProcess> {
  buildProject();
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli/disparo.js'), 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      DEMO: 'false',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const withOutput = Object.assign(child, { output: () => output });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(url, withOutput, 60_000);
  } catch (error) {
    child.kill('SIGKILL'); // never leave an orphan running against the shared servers
    throw error;
  }
  return {
    url,
    pid: child.pid!,
    peakRssMb() {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      return Number(kb) / 1024;
    },
    async stop() {
      child.kill('SIGTERM');
      const code = await exitOf(child);
      if (code !== 0) process.stderr.write(`disparo start exited ${code}:\n${output.slice(-3000)}\n`);
    },
  };
}

async function waitUntilReady(
  url: string,
  child: { exitCode: number | null; output(): string },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`disparo start did not become ready:\n${child.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `npm run build`, as the Docker image does (dist/ is what the deployed processes run). */
export function buildProject(): void {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * `node dist/src/cli/disparo.js worker` as deployed (build first with buildProject): no tsx
 * compiler in the process, whose memory is then the worker's own. Resolves once it has started.
 */
export async function spawnBuiltWorker(
  env: Record<string, string>,
): Promise<ChildProcess & { exited: () => Promise<number | null>; output: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli/disparo.js'), 'worker'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-200_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const worker = Object.assign(child, { output: () => output, exited: () => exitOf(child) });
  try {
    await waitForOutput(worker, /worker started/, 60_000);
  } catch (error) {
    child.kill('SIGKILL'); // never leave an orphan running
    throw error;
  }
  return worker;
}
