/**
 * Watches the SecantusDB a compat run's test file uses (scripts/test-compat.sh starts it beside the
 * tests): every few seconds one small write and read in a database of its own. SecantusDB 0.7.0b3
 * has hung inside WiredTiger (one thread spinning with the store's lock held, every other command
 * waiting; docs/infrastructure.md); a test then waits for its own time-outs, minutes, and fails for
 * a reason that is not Disparo's. When the server has not answered for `COMPAT_WATCHDOG_TIMEOUT_MS`
 * (60 s: no command of the suites holds it that long), this writes why to the marker file, so the
 * script can tell a hung server from a failed test, and kills the server, so the file ends at once.
 *
 * Its first answer is written to `<marker file>.ready`: the script starts the file's tests only then,
 * so the server has answered once and the watchdog's own start (tsx, the driver: about a second of
 * CPU) is over before the tests start (the likely reason a broker timing test's start was once late
 * on this 2-core machine: `delayed-delivery`, 125 ms p99 for 100).
 *
 *   tsx test/support/compat-watchdog.ts <mongo url> <server pid> <marker file>
 */
import { writeFileSync } from 'node:fs';
import mongoose from 'mongoose';

const [url, pidText, marker] = process.argv.slice(2);
if (!url || !pidText || !marker) {
  console.error('usage: compat-watchdog <mongo url> <server pid> <marker file>');
  process.exit(2);
}
const pid = Number(pidText);
const TIMEOUT_MS = Number(process.env.COMPAT_WATCHDOG_TIMEOUT_MS ?? 60_000);
const EVERY_MS = 5_000;
const startedAt = Date.now();

const alive = (process: number) => {
  try {
    globalThis.process.kill(process, 0);
    return true;
  } catch {
    return false;
  }
};

/** Rejects after `ms` (the driver's own time-outs do not bound a command a server never answers). */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Waits `ms`, or less once the server is gone (the script stopped it: the watchdog ends with it). */
async function pause(ms: number): Promise<void> {
  for (const until = Date.now() + ms; Date.now() < until && alive(pid); )
    await new Promise((resolve) => setTimeout(resolve, 200));
}

async function main(): Promise<void> {
  const client = new mongoose.mongo.MongoClient(url!, { serverSelectionTimeoutMS: 5_000, socketTimeoutMS: TIMEOUT_MS });
  const beats = client.db('compat_watchdog').collection<{ _id: string; n: number }>('beats');
  // A refused or failed command is not a hang (a server being stopped refuses): only no answer for
  // TIMEOUT_MS since the last one is.
  let lastAnswer = Date.now();
  let ready = false;
  while (alive(pid)) {
    try {
      await within(
        (async () => {
          await beats.updateOne({ _id: 'beat' }, { $inc: { n: 1 } }, { upsert: true });
          await beats.findOne({ _id: 'beat' });
        })(),
        Math.max(1_000, lastAnswer + TIMEOUT_MS - Date.now()),
      );
      if (!ready) writeFileSync(`${marker}.ready`, `${Date.now() - startedAt} ms\n`);
      ready = true;
      lastAnswer = Date.now();
    } catch (error) {
      if (!alive(pid)) break;
      if (Date.now() - lastAnswer >= TIMEOUT_MS) {
        const reason = `SecantusDB (pid ${pid}) answered no write and read for ${Date.now() - lastAnswer} ms (${(error as Error).message})`;
        writeFileSync(marker!, `${reason}\n`);
        console.error(`[compat] ${reason}; killing it`);
        globalThis.process.kill(pid, 'SIGKILL');
        break;
      }
    }
    await pause(EVERY_MS);
  }
  await client.close(true).catch(() => undefined);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`[compat] watchdog: ${String(error)}`);
    process.exit(1);
  },
);
