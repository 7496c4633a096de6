import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { infraUrls } from '../support/infrastructure';
import { seedCompany, startSystem, type TestSystem } from '../support/system';

const ROOT = join(__dirname, '..', '..');

/** `disparo …` from a new terminal elsewhere: none of the provisioned variables exported. */
function freshTerminal(
  args: string[],
  extra: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(RABBITMQ_URL|RABBITMQ_MANAGEMENT_URL|MONGO_URL)$/.test(name)),
  );
  return new Promise((resolve) => {
    // tsx by path: the terminal is outside the repository, where `--import tsx` would not resolve.
    const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src/cli/disparo.ts'), ...args], {
      cwd: tmpdir(),
      env: { ...env, LOG_LEVEL: 'error', ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the newcomer's path", () => {
  let system: TestSystem;
  let seeded: Awaited<ReturnType<typeof seedCompany>>;
  before(async () => {
    system = await startSystem('newcomer', { workers: [] });
    seeded = await seedCompany(system, { contacts: 0 });
  });
  after(() => system.stop());

  test('a new terminal reads .infra.env when no broker or database variable is set', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'disparo-infra-')), '.infra.env');
    writeFileSync(
      file,
      `RABBITMQ_URL=${system.env.RABBITMQ_URL}\nRABBITMQ_MANAGEMENT_URL=${infraUrls().managementUrl}\nMONGO_URL=${system.env.MONGO_URL}\n`,
    );
    const lanes = await freshTerminal(['lanes', '--json'], { DISPARO_INFRA_ENV: file });
    assert.equal(lanes.code, 0, lanes.stderr);
    assert.equal(JSON.parse(lanes.stdout.trim()).connectionId, seeded.connectionId);

    const none = await freshTerminal(['lanes'], { DISPARO_INFRA_ENV: join(tmpdir(), 'no-such-infra.env') });
    assert.equal(none.code, 78);
    assert.match(none.stderr, /is required \(no \.infra\.env found either: `npm start` or `npm test` provisions/);
  });

  test('`npx disparo` as the README writes it: the bin is the built CLI, and the README and demo use it', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.bin.disparo, 'dist/src/cli/disparo.js', 'npx disparo runs the built CLI');
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));
    assert.ok(build.include.includes('src'), 'the build emits src/cli/disparo.ts as dist/src/cli/disparo.js');
    assert.match(readFileSync(join(ROOT, 'src/cli/disparo.ts'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    assert.doesNotMatch(readme, /^\$? ?disparo /m, 'no bare `disparo …` a new terminal cannot find');
    assert.match(readme, /npx disparo progress/);
    assert.doesNotMatch(readFileSync(join(ROOT, 'src/runtime/demo.ts'), 'utf8'), /node dist\/src\/cli/);
  });

  test("the README's CSV step uses a sample the repository ships, and it imports cleanly", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    assert.match(readme, /--data-binary @examples\/clientes\.csv/);
    const csv = readFileSync(join(ROOT, 'examples/clientes.csv'));
    const response = await fetch(`${system.apiUrl}/v1/contact-lists/${seeded.listId}/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.key}`, 'content-type': 'text/csv' },
      body: csv,
    });
    const report = (await response.json()) as Record<string, any>;
    assert.equal(response.status, 201, JSON.stringify(report));
    assert.deepEqual(
      [report.rowsRead, report.imported, report.rejected, report.warnings.length],
      [6, 6, 0, 0],
      JSON.stringify(report),
    );
  });
});
