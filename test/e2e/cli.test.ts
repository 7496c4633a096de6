import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { infraUrls } from '../support/infrastructure';
import { liveQueue } from '../support/live-queue';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitUntil } from '../support/system';

const ROOT = join(__dirname, '..', '..');
/** 20 sends 0.5 s apart: long enough to be looked at while it runs. */
const CONTACTS = 20;
const COMMANDS = ['api', 'worker', 'start', 'company', 'import', 'progress', 'lanes', 'events', 'replay'];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `disparo …` as a real child process, as a script would run it. */
function disparo(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { timeoutMs?: number; onSpawn?: (child: ReturnType<typeof spawn>) => void } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/disparo.ts'), ...args], {
      cwd: ROOT,
      env: Object.fromEntries(
        Object.entries({ ...process.env, LOG_LEVEL: 'error', ...env }).filter(([, value]) => value !== undefined),
      ) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `disparo ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    options.onSpawn?.(child);
  });
}

describe('the disparo command line, as child processes against the real broker and database', () => {
  let system: TestSystem;
  /** The child processes use this test's vhost and database, and the real management API. */
  let env: Record<string, string>;
  before(async () => {
    system = await startSystem('cli');
    env = {
      RABBITMQ_URL: system.env.RABBITMQ_URL!,
      MONGO_URL: system.env.MONGO_URL!,
      RABBITMQ_MANAGEMENT_URL: infraUrls().managementUrl,
    };
  });
  after(() => system.stop());

  test('--help on every command (exit 0) and exit codes for scripts: 2 bad usage, 78 bad configuration, 1 failure', async () => {
    const [top, ...helps] = await Promise.all([
      disparo(['--help']),
      ...COMMANDS.map((name) => disparo([name, '--help'], { MONGO_URL: undefined, RABBITMQ_URL: undefined })),
    ]);
    assert.equal(top.code, 0);
    for (const name of COMMANDS)
      assert.match(top.stdout, new RegExp(`^  ${name} `, 'm'), `disparo --help lists ${name}`);
    assert.match(top.stdout, /78 bad configuration/);
    helps.forEach((help, i) => {
      assert.equal(help.code, 0, `disparo ${COMMANDS[i]} --help exits 0 (without any configuration)`);
      assert.match(
        help.stdout,
        new RegExp(`^Usage: disparo ${COMMANDS[i]}`),
        `disparo ${COMMANDS[i]} --help prints its usage`,
      );
    });

    const [none, unknown, badOption, noName, noConfig, badConfig, unknownCampaign, noKey] = await Promise.all([
      disparo([]),
      disparo(['frobnicate']),
      disparo(['progress', '--bogus'], env),
      disparo(['company', 'create'], env),
      disparo(['lanes'], { ...env, MONGO_URL: undefined }),
      disparo(['company', 'create', 'X'], { ...env, MONGO_URL: 'http://not-mongo' }),
      disparo(['progress', '0123456789abcdef01234567', '--once'], env),
      disparo(['import', '0123456789abcdef01234567', 'file.csv'], { DISPARO_API_KEY: undefined }),
    ]);
    assert.equal(none.code, 2);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /--bogus/);
    assert.equal(noName.code, 2);
    assert.equal(noConfig.code, 78);
    assert.match(noConfig.stderr, /MONGO_URL is required/);
    assert.equal(badConfig.code, 78);
    assert.match(badConfig.stderr, /MONGO_URL must be a mongodb:\/\/ URL/);
    assert.equal(unknownCampaign.code, 1);
    assert.match(unknownCampaign.stderr, /no such campaign: 0123456789abcdef01234567/);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /DISPARO_API_KEY/);
  });

  test('company create prints an id and a key that the API accepts; import streams a CSV with a progress bar', async () => {
    const created = await disparo(
      ['company', 'create', 'Loja da Linha de Comando', '--region', 'pt', '--message-interval', '2', '--json'],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    const { company, apiKey } = JSON.parse(created.stdout) as { company: { id: string; name: string }; apiKey: string };
    assert.match(apiKey, /^dsp_/);
    const me = await system.api('GET', '/v1/company', undefined, apiKey);
    assert.equal(me.status, 200);
    assert.deepEqual(
      [me.body.id, me.body.name, me.body.defaultRegion, me.body.pacing.messageInterval],
      [company.id, 'Loja da Linha de Comando', 'PT', 2],
    );
    const stored = await system.models.ApiKey.find({ companyId: company.id }).lean();
    assert.equal(stored.length, 1);
    assert.notEqual(stored[0]!._id, apiKey, 'only the hash is stored');

    const human = await disparo(['company', 'create', 'Outra Loja'], env);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /company id: [a-f0-9]{24}\n {2}API key: {4}dsp_\S+/);
    const invalid = await disparo(['company', 'create', 'Loja', '--region', 'Brasil'], env);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /--region: must be an ISO 3166 country code/);

    const list = await system.api('POST', '/v1/contact-lists', { name: 'Importados' }, apiKey);
    const dir = mkdtempSync(join(tmpdir(), 'disparo-cli-'));
    const file = join(dir, 'contacts.csv');
    writeFileSync(
      file,
      [
        'phone,name,city',
        '912345678,Ana,Lisboa',
        '+351 913 456 789,Rui,Porto',
        'not-a-phone,Zé,Faro',
        '961234567,Inês,Braga',
      ].join('\n'),
    );
    const imported = await disparo(['import', list.body.id, file, '--api', system.apiUrl], { DISPARO_API_KEY: apiKey });
    assert.equal(imported.code, 0, imported.stderr);
    const report = JSON.parse(imported.stdout);
    assert.equal(report.imported, 3);
    assert.equal(report.rejected, 1);
    assert.match(imported.stderr, /\[#{30}\] 100%/, 'the progress bar reaches 100%');
    const refused = await disparo(['import', list.body.id, file, '--api', system.apiUrl, '--key', 'dsp_wrong']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /401/);
  });

  test('progress --once and lanes on a running sandbox campaign; live progress follows it to the end', async () => {
    const seeded = await seedCompany(system, {
      pacing: { messageInterval: 0.5, longerIntervalAfter: 50, greaterInterval: 1 },
      contacts: CONTACTS,
    });
    // The lane's dispatcher subscribes to a new number's queue a moment after it is created.
    await waitUntil(
      'the lane consumer',
      async () => (await liveQueue(system.env.RABBITMQ_URL!, `disparo.lane.${seeded.connectionId}`)).consumers === 1,
      30_000,
      500,
    );
    const campaignId = await createCampaign(system, seeded.key, {
      name: 'Campanha do terminal',
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitUntil(
      'a first send',
      async () => (await system.models.Campaign.findById(campaignId).lean())?.counters.sent,
      20_000,
    );

    const watching = disparo(['progress', campaignId, '--every', '0.3'], env, { timeoutMs: 60_000 });
    const [frame, json, lanes, lanesJson] = await Promise.all([
      disparo(['progress', campaignId, '--once'], env),
      disparo(['progress', campaignId, '--once', '--json'], env),
      disparo(['lanes', '--company', seeded.companyId], env),
      disparo(['lanes', '--company', seeded.companyId, '--json'], env),
    ]);
    assert.equal(frame.code, 0, frame.stderr);
    assert.match(frame.stdout, new RegExp(`^Campanha do terminal {2}${campaignId} {2}(running|completed)$`, 'm'));
    assert.match(
      frame.stdout,
      new RegExp(
        `\\[#*-*\\] +\\d+% {2}\\d+/${CONTACTS} sent {2}0 failed {2}\\d+ pending {2}(\\d+%|–) delivered {2}(\\d+%|–) read {2}[\\d.]+/min`,
      ),
    );

    assert.equal(json.code, 0, json.stderr);
    const [progress] = JSON.parse(json.stdout);
    assert.equal(progress.campaignId, campaignId);
    assert.ok(
      progress.counters.sent >= 1 && progress.counters.audience === CONTACTS,
      JSON.stringify(progress.counters),
    );

    assert.equal(lanes.code, 0, lanes.stderr);
    assert.match(
      lanes.stdout,
      /^CONNECTION +COMPANY +STATE +LAST SEND +NEXT ALLOWED +LAG +QUEUED +DISPATCHERS +PROVIDER RATE$/m,
    );
    assert.match(
      lanes.stdout,
      new RegExp(`Número 1 \\(${seeded.connectionId}\\) +Loja Teste +(sending|pacing|waiting|idle) `),
    );
    assert.equal(lanesJson.code, 0, lanesJson.stderr);
    const lane = JSON.parse(lanesJson.stdout.trim());
    assert.equal(lane.connectionId, seeded.connectionId);
    assert.equal(lane.throughputPerSec, null, 'a sandbox number simulates no provider rate unless told');
    assert.equal(lane.dispatchers, 1, 'the lane queue answers with its one active dispatcher');
    assert.equal(typeof lane.queued, 'number');
    assert.ok(
      lane.lastSentAt > 0 && lane.nextAllowedAt >= lane.lastSentAt + 500,
      `next send no sooner than the pacing gap: ${JSON.stringify(lane)}`,
    );
    assert.ok(lane.lagMs === null || lane.lagMs >= 0);

    const live = await watching;
    assert.equal(live.code, 0, `live progress exits 0 once the campaign is done: ${live.stderr}`);
    const frames = live.stdout.trim().split('\n\n');
    assert.ok(frames.length >= 2, `several frames while it ran (${frames.length})`);
    assert.match(frames.at(-1)!, new RegExp(`completed\n {2}\\[#{30}\\] 100% {2}${CONTACTS}/${CONTACTS} sent`));
  });

  test('live progress stops on Ctrl-C with exit 130', async () => {
    const seeded = await seedCompany(system, { contacts: 1 });
    const draft = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    const run = await disparo(['progress', draft], env, {
      onSpawn: (child) => {
        let seen = '';
        child.stdout!.on('data', (chunk) => {
          seen += chunk;
          if (seen.includes('Ctrl-C')) child.kill('SIGINT');
        });
      },
    });
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stdout, /draft/);
  });
});
