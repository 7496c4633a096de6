/**
 * The per-contact campaign report (GET /v1/campaigns/:id/report.csv) at size: memory stays bounded.
 *
 *   npm run bench:report      (bash scripts/with-infra.sh tsx bench/report.ts)
 *
 * The system under test is its own process, built as deployed (`node dist/src/cli/disparo.js
 * start`, API + the event recorder; fresh vhost and database, dropped afterwards). This process
 * seeds a campaign of N contacts and N shippings straight through the driver (unordered
 * insertMany, 1000 per call; mixed statuses, delivery times, failure reasons, and names that
 * look like formulas), then streams the CSV over HTTP twice: as fast as it can read, and as a slow
 * client (a pause every 256 KB) to show back-pressure holds the server's memory. It samples the
 * server's RSS while streaming and reports its peak (VmHWM), and checks every row arrived and no
 * cell starts with a formula character. Besides the peak it reports the server's RSS when started
 * and idle (its baseline, before anything is seeded or asked), its RSS just before streaming, the
 * time and rows per second of each client, and the machine's load average at the end.
 * BENCH_REPORT_ROWS overrides N (default 100000).
 * The last line is JSON.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import mongoose, { Types } from 'mongoose';
import { modelsOf } from '../src/infrastructure/mongo/models';
import { newShipping, type ShippingDoc } from '../src/infrastructure/mongo/models/shipping';
import { testMongoUrl } from '../test/support/infrastructure';
import { fmt, log } from './support/bench-log';
import { withVhost } from './support/infra';
import { procStatus } from './support/proc-stats';
import { startSystemProcess } from './support/system-process';

const N = Number(process.env.BENCH_REPORT_ROWS ?? 100_000);
const ADMIN = 'bench-admin-key-0123456789';
const BUDGET_MB = 250;

interface StreamRun {
  rows: number;
  bytes: number;
  seconds: number;
  formulaCells: number;
  peakSampledRssMb: number;
}

async function main(): Promise<void> {
  log(`report bench: N=${fmt(N)}`);
  await withVhost('report', async (vhost) => {
    const mongoUrl = testMongoUrl('bench_report');
    const mongo = await mongoose.createConnection(mongoUrl).asPromise();
    const models = modelsOf(mongo);
    const system = await startSystemProcess({
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      RABBITMQ_URL: vhost.url,
      MONGO_URL: mongoUrl,
      ADMIN_API_KEY: ADMIN,
      WORKER_ROLES: 'event-recorder',
    });
    // The API process's own footprint: started, ready, nothing asked of it yet.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const startRssMb = procStatus(system.pid, 'VmRSS');
    const api = async (method: string, path: string, key: string, body?: unknown) => {
      const response = await fetch(`${system.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    try {
      const company = await api('POST', '/v1/companies', ADMIN, { name: 'Report bench' });
      const key = company.body.apiKey as string;
      const companyId = new Types.ObjectId(company.body.company.id as string);
      const connection = await api('POST', '/v1/connections', key, { name: 'bench' });
      const list = await api('POST', '/v1/contact-lists', key, { name: 'bench' });
      const campaign = await api('POST', '/v1/campaigns', key, {
        name: 'bench',
        connectionId: connection.body.id,
        listId: list.body.id,
        variants: ['Olá {name}', 'Oi {name}'],
      });
      const campaignId = campaign.body.id as string;

      const started = performance.now();
      await seed(models, companyId, new Types.ObjectId(campaignId), new Types.ObjectId(connection.body.id as string));
      log(`seeded ${fmt(N)} contacts and shippings in ${((performance.now() - started) / 1000).toFixed(1)} s`);

      const idleRssMb = procStatus(system.pid, 'VmRSS');
      const fast = await streamReport(system, campaignId, key, 0);
      log(`fast client: ${fmt(fast.rows)} rows, ${(fast.bytes / 1e6).toFixed(1)} MB in ${fast.seconds.toFixed(1)} s`);
      const slow = await streamReport(system, campaignId, key, 20);
      log(`slow client: ${fmt(slow.rows)} rows in ${slow.seconds.toFixed(1)} s`);
      const peakRssMb = system.peakRssMb();

      const ok = (pass: boolean) => (pass ? 'ok' : 'FAIL');
      const table: Array<[string, string, string]> = [
        ['rows streamed (fast client)', fmt(fast.rows), ok(fast.rows === N)],
        ['rows per second (fast client)', fmt(fast.rows / fast.seconds), ''],
        ['rows streamed (slow client)', fmt(slow.rows), ok(slow.rows === N)],
        [
          'cells starting with = + - @ tab CR',
          String(fast.formulaCells + slow.formulaCells),
          ok(fast.formulaCells + slow.formulaCells === 0),
        ],
        ['server RSS when started, idle (MB)', startRssMb.toFixed(0), ''],
        ['server RSS before streaming (MB)', idleRssMb.toFixed(0), ''],
        [
          'server RSS sampled while streaming, max (MB)',
          Math.max(fast.peakSampledRssMb, slow.peakSampledRssMb).toFixed(0),
          '',
        ],
        [`server peak RSS, VmHWM (MB, budget ${BUDGET_MB})`, peakRssMb.toFixed(0), ok(peakRssMb <= BUDGET_MB)],
      ];
      process.stdout.write('\n');
      for (const [what, value, verdict] of table)
        process.stdout.write(`  ${what.padEnd(48)} ${value.padStart(10)}  ${verdict}\n`);
      process.stdout.write(
        `${JSON.stringify({
          rows: N,
          fastRowsPerSec: Math.round(fast.rows / fast.seconds),
          fastSeconds: Math.round(fast.seconds * 10) / 10,
          slowSeconds: Math.round(slow.seconds * 10) / 10,
          csvMb: Math.round(fast.bytes / 1e5) / 10,
          startRssMb: Math.round(startRssMb),
          idleRssMb: Math.round(idleRssMb),
          peakRssMb: Math.round(peakRssMb),
          formulaCells: fast.formulaCells + slow.formulaCells,
          withinBudget: peakRssMb <= BUDGET_MB && fast.rows === N && slow.rows === N,
          loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
        })}\n`,
      );
    } finally {
      await system.stop();
      await mongo.dropDatabase().catch(() => undefined);
      await mongo.close();
    }
  });
}

const STATUSES = ['sent', 'sent', 'sent', 'failed', 'cancelled', 'queued'] as const;

/** N contacts and one shipping each, through the driver (no mongoose defaults), 1000 per insertMany. */
async function seed(
  models: ReturnType<typeof modelsOf>,
  companyId: Types.ObjectId,
  campaignId: Types.ObjectId,
  connectionId: Types.ObjectId,
): Promise<void> {
  const listId = new Types.ObjectId();
  const now = new Date();
  for (let from = 0; from < N; from += 1_000) {
    const contacts = [];
    const shippings: ShippingDoc[] = [];
    for (let i = from; i < Math.min(N, from + 1_000); i++) {
      const contactId = new Types.ObjectId();
      const phone = `+55119${String(60_000_000 + i)}`;
      // Every tenth name is an injection attempt; the report must neutralise it.
      const name = i % 10 === 0 ? `=HYPERLINK("http://x.test/${i}","click")` : `Cliente "${i}", Santos`;
      contacts.push({
        _id: contactId,
        companyId,
        phone,
        name,
        fields: {},
        listIds: [listId],
        valid: true,
        onWhatsApp: true,
        rejectReason: null,
        checkedAt: null,
        updatedAt: now,
      });
      const shipping = newShipping(
        {
          companyId,
          campaignId,
          contactId,
          connectionId,
          phone,
          text: `Olá ${name}`,
          variant: i % 2,
          mediaUrl: null,
          plannedAt: new Date(now.getTime() + i * 1000),
        },
        now,
      );
      const status = STATUSES[i % STATUSES.length]!;
      shipping.status = status;
      if (status === 'sent') {
        shipping.sentAt = new Date(now.getTime() + i * 1000 + 50);
        shipping.deliveredAt = i % 3 ? new Date(now.getTime() + i * 1000 + 900) : null;
        shipping.readAt = i % 9 === 0 ? new Date(now.getTime() + i * 1000 + 5000) : null;
      }
      if (status === 'failed') shipping.lastError = '131026: Message undeliverable; -fbtrace_id: Ab12';
      if (status === 'cancelled') shipping.lastError = '@opted out';
      shippings.push(shipping);
    }
    await models.Contact.collection.insertMany(contacts, { ordered: false });
    await models.Shipping.collection.insertMany(shippings as never[], { ordered: false });
  }
}

/** Reads the whole CSV; `pauseMs` > 0 pauses after every 256 KB, as a slow client would. */
async function streamReport(
  system: { url: string; pid: number },
  campaignId: string,
  key: string,
  pauseMs: number,
): Promise<StreamRun> {
  let peakSampledRssMb = 0;
  const sampler = setInterval(() => {
    peakSampledRssMb = Math.max(peakSampledRssMb, procStatus(system.pid, 'VmRSS'));
  }, 100);
  const started = performance.now();
  try {
    const response = await fetch(`${system.url}/v1/campaigns/${campaignId}/report.csv`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (response.status !== 200) throw new Error(`report answered ${response.status}: ${await response.text()}`);
    const decoder = new TextDecoder();
    let rest = '';
    let lines = 0;
    let bytes = 0;
    let sincePause = 0;
    let formulaCells = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      sincePause += chunk.length;
      const text = rest + decoder.decode(chunk, { stream: true });
      const parts = text.split('\n');
      rest = parts.pop()!;
      for (const line of parts) {
        lines++;
        // A cell starts the line or follows a comma (quoted cells start after the quote).
        if (/(^|,)"?[=+\-@\t\r]/.test(line)) formulaCells++;
      }
      if (pauseMs > 0 && sincePause >= 256 * 1024) {
        sincePause = 0;
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
    if (rest) lines++;
    return { rows: lines - 1, bytes, seconds: (performance.now() - started) / 1000, formulaCells, peakSampledRssMb };
  } finally {
    clearInterval(sampler);
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
