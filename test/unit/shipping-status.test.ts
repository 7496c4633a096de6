import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  canApplyToShipping,
  claimableStatuses,
  isShippingFinished,
  SHIPPING_STATUSES,
  SHIPPING_TRANSITIONS,
  type ShippingCommand,
  shippingStatusesAllowing,
} from '../../src/domain/campaigns/shipping-status';

describe('shipping status transitions', () => {
  test('nothing leaves an end status', () => {
    for (const [command, { from }] of Object.entries(SHIPPING_TRANSITIONS)) {
      for (const status of from) assert.equal(isShippingFinished(status), false, `${command} from ${status}`);
    }
  });

  test('only a claimed shipping is sent or fails; only a not-yet-sent one is parked or cancelled', () => {
    const allowed = (command: ShippingCommand) => SHIPPING_STATUSES.filter((s) => canApplyToShipping(command, s));
    assert.deepEqual(allowed('markSent'), ['sending']);
    assert.deepEqual(allowed('markFailed'), ['sending']);
    assert.deepEqual(allowed('claim'), ['queued']);
    assert.deepEqual(allowed('park'), ['queued']);
    assert.deepEqual(allowed('replan'), ['paused']);
    assert.deepEqual(allowed('cancel'), ['queued', 'paused']);
    assert.deepEqual(allowed('requeue'), ['queued', 'sending']);
    assert.equal(canApplyToShipping('cancel', 'sending'), false, 'a send in flight is never cancelled under it');
  });

  test('a shipping left in sending is claimable again only on a provider that deduplicates', () => {
    assert.deepEqual(claimableStatuses(false), ['queued']);
    assert.deepEqual(claimableStatuses(true), ['queued', 'sending']);
  });

  test('the filter is a copy (callers cannot change the table)', () => {
    shippingStatusesAllowing('claim').push('sent');
    assert.deepEqual(shippingStatusesAllowing('claim'), ['queued']);
  });
});
