import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { REPORT_COLUMNS } from '../../src/domain/reports/campaign-report-row';
import { firstControlCharacter } from '../../src/domain/text/control-characters';
import { exitOf } from '../support/processes';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus } from '../support/system';

const pacing = { messageInterval: 0.05, longerIntervalAfter: 50, greaterInterval: 0.2 };
const INJECTIONS = ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\t=x', "=cmd|' /C calc'!A0"];

describe('the per-contact campaign report (CSV)', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('report');
  });
  after(() => system.stop());

  test('one row per contact, quoted correctly, formulas neutralised; the CLI writes the same', async () => {
    const seeded = await seedCompany(system, { pacing, contacts: 8 });
    const contacts = await system.api('GET', `/v1/contacts?listId=${seeded.listId}&limit=200`, undefined, seeded.key);
    // Names an attacker could put in an address book or a CSV import.
    const names = [...INJECTIONS, 'Silva, "Zé"', 'Ana\nMaria'];
    // The API refuses control characters in names, but a name can still arrive with them (synced from
    // a phone's address book, stored before the check): those are written straight to the database.
    for (const [index, contact] of (contacts.body.items as Array<{ id: string }>).entries()) {
      const name = names[index]!;
      if (firstControlCharacter(name)) {
        await system.models.Contact.updateOne({ _id: contact.id }, { $set: { name } });
        continue;
      }
      const patched = await system.api('PATCH', `/v1/contacts/${contact.id}`, { name }, seeded.key);
      assert.equal(patched.status, 200, `PATCH name ${JSON.stringify(name)}`);
    }
    const campaignId = await createCampaign(system, seeded.key, {
      connectionId: seeded.connectionId,
      listId: seeded.listId,
    });
    await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    await waitForStatus(system, seeded.key, campaignId, 'completed', 30_000);

    const response = await fetch(`${system.apiUrl}/v1/campaigns/${campaignId}/report.csv`, {
      headers: { authorization: `Bearer ${seeded.key}` },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(response.headers.get('content-disposition') ?? '', /attachment; filename="campaign-/);
    const text = await response.text();
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(Object.keys(rows[0]!), [...REPORT_COLUMNS]);
    assert.equal(rows.length, 8);
    for (const row of rows) {
      for (const [column, cell] of Object.entries(row))
        assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `${column} "${cell}" would run as a formula`);
      assert.equal(row.status, 'sent');
      assert.match(row.phone!, /^'\+55/);
      assert.ok(!Number.isNaN(Date.parse(row.sent_at!)), 'a send time');
      assert.ok(['1', '2'].includes(row.variant!));
    }
    const shownNames = rows.map((row) => row.name).sort();
    assert.deepEqual(shownNames, [...INJECTIONS.map((name) => `'${name}`), 'Silva, "Zé"', 'Ana\nMaria'].sort());

    const other = await seedCompany(system, { contacts: 1 });
    const foreign = await fetch(`${system.apiUrl}/v1/campaigns/${campaignId}/report.csv`, {
      headers: { authorization: `Bearer ${other.key}` },
    });
    assert.equal(foreign.status, 404, "another company's campaign is not found");

    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/disparo.ts', 'report', campaignId], {
      env: { ...process.env, ...system.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    assert.equal(await exitOf(child), 0);
    assert.equal(out, text, 'the CLI writes the same CSV as the API');
  });
});
