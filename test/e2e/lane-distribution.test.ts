import { after, before, describe, test } from 'node:test';
import { ownersOf } from '../../src/domain/dispatch/lane-assignment';
import type { DispatchMemberDoc } from '../../src/infrastructure/mongo/dispatch-membership';
import { assertSentOncePaced } from '../support/send-checks';
import { createCampaign, seedCompany, startSystem, type TestSystem, waitForStatus, waitUntil } from '../support/system';

const CONNECTIONS = 12;
const CONTACTS = 8;
const pacing = { messageInterval: 0.02, longerIntervalAfter: 5, greaterInterval: 0.05 };
const rule = { messageIntervalMs: 20, longerIntervalAfter: 5, greaterIntervalMs: 50 };

/**
 * Dispatch workers split the lanes between them and rebalance when one joins or leaves; new numbers
 * reach them through ConnectionCreated (the safety re-scan is an hour away here).
 */
describe('lanes spread over dispatch workers', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem('lanes-spread', {
      workers: [
        ['event-recorder', 'campaign-process', 'contact-prepare', 'contact-sync', 'scheduler'],
        ['dispatch'],
        ['dispatch'],
      ],
      env: { LANE_REFRESH_MS: '3600000', LANE_HEARTBEAT_MS: '200', LANE_MEMBER_TTL_MS: '1500' },
    });
  });
  after(() => system?.stop());

  const members = () => system.db.collection<DispatchMemberDoc>('dispatch_members').find({}).sort({ _id: 1 }).toArray();
  const owners = async () => (await members()).map((member) => member.owned);
  /**
   * True when `count` workers are alive and each owns exactly the lanes rendezvous hashing gives it.
   * (With 12 lanes a worker may rightly own none: about 2 % of random worker ids give one of three
   * workers no lane, so "everyone owns some" would be the wrong check.)
   */
  const splitAsHashed = async (count: number, lanes: string[]) => {
    const live = await members();
    if (live.length !== count) return false;
    const expected = new Map<string, number>();
    for (const owner of ownersOf(
      lanes,
      live.map((member) => member._id),
    ).values())
      expected.set(owner, (expected.get(owner) ?? 0) + 1);
    return live.every((member) => member.owned === (expected.get(member._id) ?? 0));
  };

  async function campaignOnEvery(seeded: Awaited<ReturnType<typeof seedCompany>>) {
    const campaigns = [];
    for (const connectionId of seeded.connections) {
      const id = await createCampaign(system, seeded.key, { connectionId, listId: seeded.listId });
      await system.api('POST', `/v1/campaigns/${id}/start`, undefined, seeded.key);
      campaigns.push(id);
    }
    for (const id of campaigns)
      await waitForStatus(system, seeded.key, id, 'completed', 90_000).catch(async (error) => {
        const campaign = await system.models.Campaign.findById(id, { status: 1, counters: 1, connectionId: 1 }).lean();
        const shippings = await system.models.Shipping.aggregate([
          { $match: { campaignId: campaign?._id } },
          { $group: { _id: '$status', n: { $sum: 1 } } },
        ]);
        console.log('# DIAG', JSON.stringify({ campaign, shippings, members: await members() }));
        throw error;
      });
  }

  test('new numbers are taken up through the event, split evenly, and move only when a worker joins or leaves', {
    timeout: 240_000,
  }, async () => {
    const seeded = await seedCompany(system, { pacing, contacts: CONTACTS, connections: CONNECTIONS });
    await waitUntil('both workers to hold every new lane', () => splitAsHashed(2, seeded.connections), 15_000);
    const two = await owners();
    await campaignOnEvery(seeded);

    const third = await system.addWorker(['dispatch']);
    await waitUntil('the newcomer to take its share', () => splitAsHashed(3, seeded.connections), 15_000);
    const three = await owners();

    await third.stop();
    await waitUntil('its lanes back with the other two', () => splitAsHashed(2, seeded.connections), 15_000);
    // Another round on every number after the moves: nothing lost, nobody twice, pacing kept.
    await campaignOnEvery(seeded);
    // Two campaigns to the same contacts on each number: everybody exactly twice.
    for (const connectionId of seeded.connections) await assertSentOncePaced(system, connectionId, CONTACTS, rule, 2);
    console.log(
      `# lanes spread: ${CONNECTIONS} lanes owned ${two.join('/')} by two workers, ${three.join('/')} with a third, back to two after it left; ${2 * CONNECTIONS} campaigns completed, 0 violations`,
    );
  });
});
