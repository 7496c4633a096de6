import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import { type SharedNumberOptions, twoCampaignsOnOneNumber } from '../support/shared-number';
import { startSystem, type TestSystem } from '../support/system';

/** The lane holds a message only for the pacing wait plus this; the budget is measured against it. */
const IDLE_BUDGET_MS = 1_000;
const pacing = { messageInterval: 1, longerIntervalAfter: 50, greaterInterval: 3 };

async function expectNoIdleLane(system: TestSystem, options: SharedNumberOptions, label: string) {
  const startedAt = Date.now();
  const run = await twoCampaignsOnOneNumber(system, options);
  const contacts = options.firstContacts + options.secondContacts;
  assert.equal(run.sends.length, contacts, 'one send per shipping (sandbox record)');
  assert.equal(new Set(run.sends.map((send) => String(send._id))).size, contacts, 'no shipping sent twice');
  for (const campaignId of run.campaigns) {
    const ofCampaign = run.shippings.filter((shipping) => String(shipping.campaignId) === campaignId);
    assert.ok(
      ofCampaign.every((shipping) => shipping.status === 'sent'),
      'every shipping of both campaigns sent',
    );
  }
  assert.deepEqual(
    run.sends.filter((send) => send.violation),
    [],
    'no pacing violation (sandbox judge)',
  );
  assert.deepEqual(
    findViolations(
      run.sends.map((send) => send.receivedAt.getTime()),
      run.settings,
    ),
    [],
  );
  console.log(
    `# ${label}: ${contacts} sends in ${((Date.now() - startedAt) / 1000).toFixed(1)} s, longest idle while a message was due ${run.idle.maxMs} ms beyond pacing (before send #${run.idle.atSend})`,
  );
  assert.ok(
    run.idle.maxMs <= IDLE_BUDGET_MS,
    `the number sat idle ${run.idle.maxMs} ms beyond its pacing while a message was due (before send #${run.idle.atSend})`,
  );
}

/**
 * Two campaigns on one number, no fault: the number never sits idle while a message is due (beyond
 * its pacing wait and the lane's short hold), whatever order their messages reached the lane in.
 */
describe('a shared number never idles while a message is due', () => {
  describe('the second campaign starts while the first sends, part of it already in the lane early', () => {
    let system: TestSystem;
    // The first campaign spans 14 s, more than the hand-off window: its later messages reach the
    // lane at their planned time, after the second campaign's first ones went in early (within the
    // window): those sit in front of due messages and must not hold the lane until their time.
    before(async () => {
      system = await startSystem('idle-interleaved', { env: { LANE_HANDOFF_MS: '6000' } });
    });
    after(() => system.stop());

    test('due messages go first; each contact once, 0 violations', { timeout: 120_000 }, () =>
      expectNoIdleLane(
        system,
        { pacing, firstContacts: 14, secondContacts: 5, secondAfterSends: 9, timeoutMs: 90_000 },
        'interleaved campaigns',
      ),
    );
  });

  describe("two campaigns started together, the first's planned sends spanning less than the hand-off window", () => {
    let system: TestSystem;
    before(async () => {
      system = await startSystem('idle-together');
    });
    after(() => system.stop());

    test('whichever reaches the lane first, nothing waits behind a message not due', { timeout: 120_000 }, () =>
      expectNoIdleLane(
        system,
        { pacing, firstContacts: 6, secondContacts: 6, secondAfterSends: 0, timeoutMs: 90_000 },
        'campaigns started together',
      ),
    );
  });
});
