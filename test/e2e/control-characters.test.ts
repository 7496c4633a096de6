import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { escapeControlCharacters } from '../../src/domain/text/control-characters';
import { infraUrls } from '../support/infrastructure';
import { ADMIN_KEY, createCampaign, seedCompany, startSystem, type TestSystem } from '../support/system';

/**
 * A tenant's name must not drive an operator's terminal: the API refuses control characters in
 * every name and label, and the command line escapes them in what was stored before.
 */

const ROOT = join(__dirname, '..', '..');
const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\u009b31mfake\u007f';
/** Any control character a terminal acts on, line breaks aside (they are the printer's own). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function disparo(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/disparo.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'error', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('control characters in names', () => {
  let system: TestSystem;
  let seeded: Awaited<ReturnType<typeof seedCompany>>;
  before(async () => {
    system = await startSystem('controls', { workers: [] });
    seeded = await seedCompany(system, { contacts: 1 });
  });
  after(() => system.stop());

  test('every name and label field refuses C0, DEL and C1 controls with a 400 naming the field', async () => {
    const { key, connectionId, listId } = seeded;
    const cases: Array<[string, string, Record<string, unknown>, string, string]> = [
      ['POST', '/v1/companies', { name: HOSTILE }, ADMIN_KEY, 'body.name'],
      ['PATCH', '/v1/company', { name: HOSTILE }, key, 'body.name'],
      ['POST', '/v1/connections', { name: HOSTILE }, key, 'body.name'],
      ['PATCH', `/v1/connections/${connectionId}`, { name: 'a\u0085b' }, key, 'body.name'],
      ['POST', '/v1/contact-lists', { name: 'list\u007f' }, key, 'body.name'],
      ['POST', '/v1/campaigns', { name: HOSTILE, connectionId, listId, variants: ['Oi'] }, key, 'body.name'],
      ['POST', '/v1/api-keys', { label: 'ci\u001b[2J' }, key, 'body.label'],
      [
        'POST',
        `/v1/contact-lists/${listId}/contacts`,
        { contacts: [{ phone: '+5511980000099', name: 'Ana\u0007' }] },
        key,
        'body.contacts.0.name',
      ],
    ];
    for (const [method, path, body, auth, field] of cases) {
      const answer = await system.api(method, path, body, auth);
      assert.equal(answer.status, 400, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      const error = answer.body.errors.find((e: { field: string }) => e.field === field);
      assert.ok(error, `${method} ${path} names ${field}: ${JSON.stringify(answer.body.errors)}`);
      assert.match(error.message, /(name|label) must not contain control characters \(U\+00[0-9A-F]{2}\)/);
    }
    // Ordinary names, accents and emoji included, still pass.
    const fine = await system.api('POST', '/v1/contact-lists', { name: 'Clientes São Paulo ✨' }, key);
    assert.equal(fine.status, 201);
  });

  test('the command line escapes control characters in names stored before (lanes, progress, company)', async () => {
    // Written straight to the database, as data from before the rule would be.
    await system.models.Company.updateOne({ _id: new Types.ObjectId(seeded.companyId) }, { $set: { name: HOSTILE } });
    await system.models.Connection.updateOne(
      { _id: new Types.ObjectId(seeded.connectionId) },
      { $set: { name: HOSTILE } },
    );
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.models.Campaign.updateOne({ _id: new Types.ObjectId(campaignId) }, { $set: { name: HOSTILE } });
    const env = {
      RABBITMQ_URL: system.env.RABBITMQ_URL!,
      MONGO_URL: system.env.MONGO_URL!,
      RABBITMQ_MANAGEMENT_URL: infraUrls().managementUrl,
    };
    const runs = {
      lanes: await disparo(['lanes'], env),
      lanesJson: await disparo(['lanes', '--json'], env),
      progress: await disparo(['progress', campaignId, '--once'], env),
      progressJson: await disparo(['progress', campaignId, '--once', '--json'], env),
      company: await disparo(['company', 'create', `Loja ${HOSTILE}`], env),
    };
    for (const [name, run] of Object.entries(runs)) {
      assert.doesNotMatch(run.stdout, RAW_CONTROL, `${name} stdout: ${JSON.stringify(run.stdout)}`);
      assert.doesNotMatch(run.stderr, RAW_CONTROL, `${name} stderr: ${JSON.stringify(run.stderr)}`);
    }
    const visible = escapeControlCharacters(HOSTILE);
    assert.equal(runs.lanes.code, 0, runs.lanes.stderr);
    assert.ok(runs.lanes.stdout.includes(visible), runs.lanes.stdout);
    assert.ok(runs.progress.stdout.includes(visible), runs.progress.stdout);
    // JSON stays JSON, and reads back as the stored name.
    assert.equal(JSON.parse(runs.lanesJson.stdout.trim()).name, HOSTILE);
    assert.equal(JSON.parse(runs.progressJson.stdout)[0].name, HOSTILE);
    assert.equal(runs.company.code, 2, 'company create refuses the name like the API');
    assert.match(runs.company.stderr, /must not contain control characters/);
  });
});
