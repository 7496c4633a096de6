/** What a benchmark started (worker processes, in-process systems) and how it is stopped and removed. */
import type { ChildProcess } from 'node:child_process';
import mongoose from 'mongoose';
import { sleep } from '../../test/support/collector';
import type { TestSystem } from '../../test/support/system';
import { log } from './bench-log';

/** A worker process the benchmark spawned (spawnWorker's answer, or a baseline worker). */
export type Child = ChildProcess & { exited: () => Promise<number | null> };
export const children = new Set<Child>();
export const systems = new Set<TestSystem>();
/** Anything else to remove at the end (queues in Redis, scratch databases), run after the systems stop. */
export const cleanups = new Set<() => Promise<void>>();

export async function stopChild(child: Child): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const exited = await Promise.race([child.exited().then(() => true), sleep(15_000).then(() => false)]);
    if (!exited) {
      child.kill('SIGKILL');
      await child.exited();
    }
  }
  children.delete(child);
}

export async function stopSystem(system: TestSystem): Promise<void> {
  systems.delete(system);
  await system.stop();
  await dropUntilGone(system.env.MONGO_URL!);
}

/**
 * Writes a stopped worker had already sent can still be queued in the server (behind a slow scan)
 * and re-create the database after the system dropped it: drop again until it stays gone.
 */
export async function dropUntilGone(mongoUrl: string): Promise<void> {
  const name = new URL(mongoUrl).pathname.slice(1);
  const connection = await mongoose.createConnection(mongoUrl).asPromise();
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      const { databases } = await connection.db!.admin().listDatabases();
      if (!databases.some((database) => database.name === name)) {
        if (attempt > 0) return;
        await sleep(2_000); // one more look, after anything still queued has landed
        continue;
      }
      await connection.dropDatabase();
      await sleep(2_000);
    }
    log(`warning: database ${name} kept coming back; drop it by hand`);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export async function cleanUp(): Promise<void> {
  for (const child of [...children]) await stopChild(child).catch(() => undefined);
  for (const system of [...systems]) await stopSystem(system).catch(() => undefined);
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    await cleanup().catch(() => undefined);
  }
}

/**
 * Runs a benchmark's main: cleans up what it started (workers, systems) at the end, on failure and
 * on SIGINT/SIGTERM, then makes sure the process exits.
 */
export function runBench(main: () => Promise<void>): void {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (interrupted) return;
      interrupted = true;
      process.stderr.write(`bench: ${signal}, cleaning up\n`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  main()
    .then(() => cleanUp())
    .then(
      () => {
        // Anything left open (a driver pool timer, say) must not keep the process alive.
        setTimeout(() => process.exit(0), 3_000).unref();
      },
      async (error: unknown) => {
        process.stderr.write(
          `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        process.exitCode = 1;
        await cleanUp();
        setTimeout(() => process.exit(1), 2_000).unref();
      },
    );
}
