import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { counterChanges, isHigherStatus } from '../../src/domain/whatsapp/delivery-status';

describe('delivery statuses only move up', () => {
  test('sent < failed < delivered < read', () => {
    assert.ok(isHigherStatus(null, 'sent'));
    assert.ok(isHigherStatus('sent', 'delivered'));
    assert.ok(isHigherStatus('delivered', 'read'));
    assert.ok(isHigherStatus('failed', 'delivered'), 'evidence of delivery wins over failed');
    assert.equal(isHigherStatus('read', 'sent'), false, 'a late sent never overwrites read');
    assert.equal(isHigherStatus('read', 'delivered'), false);
    assert.equal(isHigherStatus('delivered', 'failed'), false);
    assert.equal(isHigherStatus('read', 'read'), false, 'a replay changes nothing');
  });

  test('counters move once per shipping, whatever the order', () => {
    assert.deepEqual(counterChanges('sent', 'delivered'), { delivered: 1, read: 0, undelivered: 0 });
    assert.deepEqual(counterChanges('delivered', 'read'), { delivered: 0, read: 1, undelivered: 0 });
    assert.deepEqual(counterChanges(null, 'read'), { delivered: 1, read: 1, undelivered: 0 }, 'read implies delivered');
    assert.deepEqual(counterChanges('sent', 'failed'), { delivered: 0, read: 0, undelivered: 1 });
    assert.deepEqual(counterChanges('failed', 'read'), { delivered: 1, read: 1, undelivered: -1 });
  });
});
