import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CampaignProgress } from '../../src/application/campaigns/campaign-progress';
import { importLine, importRequest } from '../../src/cli/commands/import';
import { renderCampaign } from '../../src/cli/commands/progress';
import { formatDuration, percent, renderBar, renderTable } from '../../src/cli/terminal/progress-bar';

describe('terminal drawing', () => {
  test('bars are 30 wide by default and clamp out-of-range shares', () => {
    assert.equal(renderBar(0.5, 10), '[#####-----]');
    assert.equal(renderBar(0), `[${'-'.repeat(30)}]`);
    assert.equal(renderBar(7), `[${'#'.repeat(30)}]`);
    assert.equal(renderBar(Number.NaN, 4), '[----]');
    assert.equal(percent(0.999), ' 99%', 'never 100% before it is done');
  });

  test('durations read like people write them', () => {
    assert.deepEqual([0, 45_000, 185_000, 7_800_000, 3 * 86_400_000].map(formatDuration), [
      '0s',
      '45s',
      '3m 05s',
      '2h 10m',
      '3d 0h',
    ]);
  });

  test('tables pad every column but the last', () => {
    assert.equal(
      renderTable(
        ['A', 'BB'],
        [
          ['long', 'x'],
          ['s', 'yy'],
        ],
      ),
      'A     BB\nlong  x\ns     yy',
    );
  });

  test('a campaign is two lines: name and status, then bar and figures', () => {
    const progress: CampaignProgress = {
      campaignId: 'c1',
      companyId: 'k',
      connectionId: 'n',
      connectionIds: ['n'],
      throughputPerSec: null,
      name: 'Promo',
      status: 'running',
      pausedReason: null,
      template: null,
      counters: { audience: 12, prepared: 12, sent: 3, failed: 1, cancelled: 0, skipped: 0, missing: 0 },
      pending: 8,
      done: 4 / 12,
      sentPerMinute: 10,
      deliveredRate: 2 / 3,
      readRate: null,
      estimatedFinishAt: new Date(90_000).toISOString(),
      waitingFor: null,
      nextOpeningAt: null,
      capFreesAt: null,
      startedAt: null,
      completedAt: null,
    };
    const [title, figures] = renderCampaign(progress, 12.5, 0).split('\n');
    assert.equal(title, 'Promo  c1  running');
    assert.match(
      figures!,
      /^ {2}\[#{10}-{20}\] {2}33% {2}3\/12 sent {2}1 failed {2}8 pending {2}66% delivered {2}– read {2}12\.5\/min {2}finish ≈ .+ \(in 1m 30s\)$/,
    );
    const paused = renderCampaign(
      {
        ...progress,
        status: 'paused',
        pausedReason: '132015: template paused',
        template: { name: 'order_update', language: 'pt_BR' },
      },
      0,
      0,
    ).split('\n')[0];
    assert.equal(paused, 'Promo  c1  paused  (132015: template paused)  template order_update (pt_BR)');
    const fast = renderCampaign({ ...progress, throughputPerSec: 1_000 }, 0, 0).split('\n')[0];
    assert.equal(fast, 'Promo  c1  running  provider 1,000/s', 'a number with a provider rate shows it');
  });

  test('the import bar shows bytes sent and the rows the API has read', () => {
    assert.equal(importLine(50, 100, null, 0), `[${'#'.repeat(15)}${'-'.repeat(15)}]  50%  starting`);
    assert.match(
      importLine(100, 100, { status: 'running', rowsRead: 2_000, imported: 1_990, rejected: 10 }, 1_000),
      /100% {2}2,000 rows, 1,990 imported, 10 rejected, 2,000 rows\/s$/,
    );
  });

  test('import arguments: positional or the older --list form; key and URL from the environment', () => {
    const env = { DISPARO_API_KEY: 'dsp_env', DISPARO_API_URL: 'http://api:3000/' };
    assert.deepEqual(importRequest(['L1', 'f.csv'], env), {
      listId: 'L1',
      file: 'f.csv',
      key: 'dsp_env',
      api: 'http://api:3000',
    });
    assert.deepEqual(importRequest(['--list', 'L1', '--key', 'dsp_flag', 'f.csv'], {}), {
      listId: 'L1',
      file: 'f.csv',
      key: 'dsp_flag',
      api: 'http://127.0.0.1:3000',
    });
    assert.throws(() => importRequest(['L1'], env), /a list id and one CSV file/);
    assert.throws(() => importRequest(['L1', 'f.csv'], {}), /DISPARO_API_KEY/);
  });
});
