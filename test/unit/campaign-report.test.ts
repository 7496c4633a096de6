import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { deliveryRates } from '../../src/domain/campaigns/campaign-progress';
import { REPORT_COLUMNS, reportRow } from '../../src/domain/reports/campaign-report-row';
import { neutraliseFormula } from '../../src/domain/reports/spreadsheet-cell';

describe('the campaign report', () => {
  test('cells a spreadsheet would run as a formula are prefixed with an apostrophe', () => {
    for (const cell of ['=1+1', '+5511999', '-2', '@SUM(A1)', '\tx', '\rx', "=cmd|' /C calc'!A0"])
      assert.equal(neutraliseFormula(cell), `'${cell}`, JSON.stringify(cell));
    for (const cell of ['Ana', '', ' =not first', "'already text", '5511', 'a=b'])
      assert.equal(neutraliseFormula(cell), cell, JSON.stringify(cell));
  });

  test('a row holds every column, 1-based variant, times in ISO and the reason that applies', () => {
    const base = {
      phone: '+5511998765432',
      name: '=HYPERLINK("http://x","y")',
      variant: 1,
      plannedAt: new Date('2026-01-01T12:00:00Z'),
      sentAt: null,
      deliveredAt: null,
      readAt: null,
      lastError: null,
      failedReason: null,
    };
    const sent = reportRow({
      ...base,
      status: 'sent',
      sentAt: new Date('2026-01-01T12:00:01Z'),
      deliveredAt: new Date('2026-01-01T12:00:02Z'),
      readAt: new Date('2026-01-01T12:00:03Z'),
      lastError: 'retried once',
    });
    assert.equal(sent.length, REPORT_COLUMNS.length);
    assert.deepEqual(sent, [
      "'+5511998765432",
      `'=HYPERLINK("http://x","y")`,
      '2',
      'sent',
      '2026-01-01T12:00:00.000Z',
      '2026-01-01T12:00:01.000Z',
      '2026-01-01T12:00:02.000Z',
      '2026-01-01T12:00:03.000Z',
      '',
    ]);
    assert.equal(
      reportRow({ ...base, status: 'failed', lastError: '131026: undeliverable' })[8],
      '131026: undeliverable',
    );
    assert.equal(reportRow({ ...base, status: 'sent', failedReason: '131047: window' })[8], '131047: window');
    assert.equal(reportRow({ ...base, status: 'queued', lastError: 'retrying' })[8], '', 'a queued one has not failed');
    assert.equal(reportRow({ ...base, status: 'cancelled', lastError: '-opted out' })[8], "'-opted out");
  });

  test('quoting survives commas, quotes and line breaks (written, then read back)', () => {
    const row = reportRow({
      phone: '5511',
      name: 'Silva, "Zé"\nSegunda linha',
      variant: 0,
      status: 'failed',
      plannedAt: null,
      sentAt: null,
      deliveredAt: null,
      readAt: null,
      lastError: 'a,b',
      failedReason: null,
    });
    const text = stringify([row], { header: true, columns: [...REPORT_COLUMNS] });
    const [back] = parse(text, { columns: true }) as Array<Record<string, string>>;
    assert.equal(back!.name, 'Silva, "Zé"\nSegunda linha');
    assert.equal(back!.failure_reason, 'a,b');
  });

  test('delivered and read rates are shares of the sent messages', () => {
    assert.deepEqual(deliveryRates({ sent: 0, delivered: 0, read: 0 }), { deliveredRate: null, readRate: null });
    assert.deepEqual(deliveryRates({ sent: 3, delivered: 2, read: 1 }), { deliveredRate: 0.667, readRate: 0.333 });
    assert.deepEqual(deliveryRates({ sent: 4 }), { deliveredRate: 0, readRate: 0 });
  });
});
