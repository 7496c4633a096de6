import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queues } from '../../src/topology';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitUntil } from '../support/system';

/**
 * Campaign processing does not declare a campaign's lanes before its first send (they exist since
 * their connection was created): a lane that is missing anyway (deleted by an operator, a crash
 * between creating the connection and its lane) is declared by the hand-off the broker refused.
 * No dispatch role runs here, so no dispatch worker declares it instead.
 */
describe('a campaign whose lane is missing', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('lane-handoff', {
      workers: [['campaign-process', 'contact-prepare', 'event-recorder']],
    });
  });
  after(() => system.stop());

  test('the first batch’s hand-off declares the lane and every shipping reaches it', async () => {
    const seeded = await seedCompany(system, { contacts: 3 });
    const lane = queues(system.env.TOPOLOGY_PREFIX ?? 'disparo').lane(seeded.connectionId);
    const amqplib = await import('amqplib');
    const connection = await amqplib.connect(system.env.RABBITMQ_URL!);
    try {
      const channel = await connection.createChannel();
      await channel.deleteQueue(lane);
      const campaignId = await createCampaign(system, seeded.key, {
        connectionId: seeded.connectionId,
        listId: seeded.listId,
      });
      assert.equal((await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key)).status, 202);
      const inLane = await waitUntil(
        'the three shippings handed to the lane',
        async () => {
          const probe = await connection.createChannel();
          probe.on('error', () => undefined); // a missing queue closes the probing channel
          try {
            const { messageCount } = await probe.checkQueue(lane);
            await probe.close();
            return messageCount === 3 ? messageCount : undefined;
          } catch {
            return undefined;
          }
        },
        30_000,
        200,
      );
      assert.equal(inLane, 3);
      assert.equal(await system.models.Shipping.countDocuments({ campaignId }), 3);
    } finally {
      await connection.close();
    }
  });
});
