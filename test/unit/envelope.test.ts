import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import {
  causedBy,
  createMessage,
  defineMessage,
  newCorrelation,
  stableEventId,
} from '../../src/domain/events/envelope';

const Example = defineMessage({
  type: 'ExampleHappened',
  version: 2,
  routingKey: 'example.happened',
  payload: z.object({ campaignId: z.string().min(1), count: z.number().int() }),
});

describe('message envelope', () => {
  test('createMessage fills the envelope and validates the payload', () => {
    const message = createMessage(
      Example,
      { campaignId: 'c1', count: 3 },
      newCorrelation('co1', 'req-1'),
      new Date('2026-01-02T03:04:05Z'),
    );
    assert.equal(message.type, 'ExampleHappened');
    assert.equal(message.version, 2);
    assert.equal(message.companyId, 'co1');
    assert.equal(message.correlationId, 'req-1');
    assert.equal(message.causationId, null);
    assert.equal(message.occurredAt, '2026-01-02T03:04:05.000Z');
    assert.match(message.eventId, /^[0-9a-f-]{36}$/);
    assert.throws(
      () => createMessage(Example, { campaignId: '', count: 1.5 }, newCorrelation('co1')),
      /campaignId|count/,
    );
  });

  test('a caused message keeps the correlation and names its cause', () => {
    const parent = createMessage(Example, { campaignId: 'c1', count: 1 }, newCorrelation('co1', 'req-9'));
    const child = createMessage(Example, { campaignId: 'c1', count: 2 }, causedBy(parent));
    assert.equal(child.correlationId, 'req-9');
    assert.equal(child.causationId, parent.eventId);
  });

  test('the schema rejects another type, another version and a bad envelope', () => {
    const good = createMessage(Example, { campaignId: 'c1', count: 1 }, newCorrelation('co1'));
    assert.equal(Example.schema.safeParse(good).success, true);
    assert.equal(Example.schema.safeParse({ ...good, type: 'Other' }).success, false);
    assert.equal(Example.schema.safeParse({ ...good, version: 1 }).success, false);
    assert.equal(Example.schema.safeParse({ ...good, eventId: 'x' }).success, false);
    assert.equal(Example.schema.safeParse({ ...good, occurredAt: 'yesterday' }).success, false);
  });

  test('a stable event id is a version-5 UUID of its name: the same name, the same id', () => {
    const id = stableEventId('MessageDispatched', '65f000000000000000000001');
    assert.equal(id, stableEventId('MessageDispatched', '65f000000000000000000001'));
    assert.notEqual(id, stableEventId('MessageFailed', '65f000000000000000000001'));
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const message = createMessage(Example, { campaignId: 'c1', count: 1 }, newCorrelation('co1'), new Date(), id);
    assert.equal(message.eventId, id, 'the envelope schema accepts it');
  });
});
