/** A MongoDB-wire server of the benchmark's own (this checkout's build), on its own port and data directory. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { sleep } from '../../test/support/collector';
import { mongoWireHome } from '../../test/support/dedicated-mongo';

export interface WireServer {
  url: string;
  port: number;
  dataDir: string;
  /** The server's last output (its start-up lines: compaction and index build times). */
  output(): string;
  /** Bytes of the data files (every NAME.mv in the directory, or the legacy single file). */
  dataBytes(): number;
  /** Stops the server (SIGTERM: it closes its files) and removes its data unless keepData. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts `java MongoWire 127.0.0.1 PORT DATA` from MONGO_WIRE_HOME (this checkout's build). With
 * `legacyFile` DATA is one file (the launcher before one-file-per-database: measure it by pointing
 * MONGO_WIRE_HOME at that build).
 */
export async function startWireServer(options: {
  port: number;
  dir: string;
  heap: string;
  legacyFile?: boolean;
  keep?: boolean;
  javaOptions?: string[];
}): Promise<WireServer> {
  if (await portOpen(options.port)) throw new Error(`port ${options.port} is taken: choose another (BENCH_DB_PORT)`);
  const home = mongoWireHome();
  if (!options.keep) rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const data = options.legacyFile ? join(options.dir, 'legacy.mv') : join(options.dir, 'dbs');
  let output = '';
  const child: ChildProcess = spawn(
    'java',
    [
      `-Xmx${options.heap}`,
      // provision.sh's default JVM options (as the shared server runs), then the benchmark's own
      ...(process.env.MONGO_JAVA_OPTS ?? '').split(' ').filter(Boolean),
      ...(options.javaOptions ?? []),
      '-cp',
      `${home}/classes:${home}/lib/*`,
      'MongoWire',
      '127.0.0.1',
      String(options.port),
      data,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  child.stderr?.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
  const deadline = Date.now() + 120_000;
  while (!(await portOpen(options.port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the wire server did not start:\n${output}`);
    await sleep(200);
  }
  const dataBytes = () => {
    if (options.legacyFile) return existsSync(data) ? statSync(data).size : 0;
    return existsSync(data) ? readdirSync(data).reduce((sum, name) => sum + statSync(join(data, name)).size, 0) : 0;
  };
  return {
    url: `mongodb://127.0.0.1:${options.port}/disparo`,
    port: options.port,
    dataDir: options.dir,
    dataBytes,
    output: () => output,
    async stop(stopOptions) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(30_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      if (!stopOptions?.keepData) rmSync(options.dir, { recursive: true, force: true });
    },
  };
}
