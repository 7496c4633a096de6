import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCampaignDone } from '../../src/application/campaigns/campaign-completion';
import { IDLE_LANE } from '../../src/domain/pacing/pacing-rule';
import { estimateFinish, planSendTimes } from '../../src/domain/pacing/send-planner';

const counters = { audience: 10, prepared: 10, sent: 7, failed: 2, cancelled: 1, skipped: 3, missing: 0 };

describe('campaign completion and estimates', () => {
  test('done only when processed, everything planned has a shipping, and every shipping ended', () => {
    assert.equal(isCampaignDone(true, counters), true);
    assert.equal(isCampaignDone(false, counters), false, 'still streaming the audience');
    assert.equal(isCampaignDone(true, { ...counters, prepared: 9 }), false, 'a batch not prepared yet');
    assert.equal(
      isCampaignDone(true, { ...counters, prepared: 9, missing: 1, sent: 6 }),
      true,
      'a contact deleted before preparation',
    );
    assert.equal(isCampaignDone(true, { ...counters, sent: 6 }), false, 'a send still in flight');
  });

  test('the finish estimate follows the pacing rule exactly, then extrapolates whole runs', () => {
    const settings = { messageIntervalMs: 100, longerIntervalAfter: 4, greaterIntervalMs: 500 };
    assert.equal(estimateFinish(settings, IDLE_LANE, 1_000, 0), null);
    assert.equal(estimateFinish(settings, IDLE_LANE, 1_000, 9), planSendTimes(settings, 1_000, IDLE_LANE, 9).at(-1));
    const exact = planSendTimes(settings, 0, IDLE_LANE, 4_000).at(-1)!;
    const extrapolated = estimateFinish(settings, IDLE_LANE, 0, 4_000, 400)!;
    assert.ok(Math.abs(exact - extrapolated) <= 500, `extrapolated ${extrapolated} vs exact ${exact}`);
  });
});
