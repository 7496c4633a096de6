import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './collector';
import { freePort } from './system';

/**
 * A MongoDB-wire server of its own (mongo-java-server, H2 file) for tests that stop the database;
 * the shared one on :27017 must never stop. The same build scripts/provision.sh made and caches in
 * ~/.cache/disparo/mongo-wire-<hash>, on another port, with its own data directory (one H2 file per
 * database) in a temp directory.
 */
export interface DedicatedMongo {
  url: string;
  /** Stops the server and waits for the exit: SIGTERM runs its shutdown hook (the H2 file is closed), SIGKILL is a crash. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and data directory, and waits until it accepts connections. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/** This checkout's build (provision.sh exports it), else the newest build in the cache. */
export function mongoWireHome(): string {
  const exported = process.env.MONGO_WIRE_HOME;
  if (exported && existsSync(join(exported, 'classes'))) return exported;
  const cache = join(homedir(), '.cache', 'disparo');
  const builds = existsSync(cache)
    ? readdirSync(cache).filter((name) => name.startsWith('mongo-wire-') && existsSync(join(cache, name, 'classes')))
    : [];
  if (builds.length === 0) throw new Error(`no MongoDB-wire build in ${cache}: run scripts/provision.sh first`);
  const newest = builds.map((name) => ({ name, at: statSync(join(cache, name)).mtimeMs })).sort((a, b) => a.at - b.at);
  return join(cache, newest.at(-1)!.name);
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`the MongoDB-wire server did not open port ${port}`);
    await sleep(200);
  }
}

export async function startDedicatedMongo(label: string): Promise<DedicatedMongo> {
  const home = mongoWireHome();
  const dir = mkdtempSync(join(tmpdir(), `disparo-mongo-${label}-`));
  const dataDir = join(dir, 'dbs');
  const port = await freePort();
  let server: ChildProcess | null = null;
  let output = '';
  const start = async () => {
    server = spawn(
      'java',
      ['-Xmx512m', '-cp', `${home}/classes:${home}/lib/*`, 'MongoWire', '127.0.0.1', String(port), dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.stdout?.on('data', (chunk) => (output += chunk));
    server.stderr?.on('data', (chunk) => (output += chunk));
    await waitForPort(port, 60_000).catch((error) => {
      throw new Error(`${(error as Error).message}; output:\n${output.slice(-2000)}`);
    });
  };
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const running = server;
    server = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };
  await start();
  return {
    url: `mongodb://127.0.0.1:${port}/faults_${label.replace(/-/g, '_')}`,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
