import { earliestNextSend, IDLE_LANE, type LaneState, recordSend } from '../../src/domain/pacing/pacing-rule';
import type { PacingSettings } from '../../src/domain/pacing/pacing-settings';
import { createCampaign, seedCompany, type TestSystem, waitForStatus, waitUntil } from './system';

/**
 * The longest a number went without a send while a message was due on it, beyond what the pacing
 * rule asked: for each send (by the provider's clock), the moment the previous one could have been
 * followed — the later of the pacing rule's earliest next send and the earliest planned time of
 * the shippings not yet sent — to the send itself. 0 when every send went out as soon as it could.
 */
export function idleWhileDue(
  sends: Array<{ shippingId: string; at: number }>,
  plannedAt: Map<string, number>,
  settings: PacingSettings,
): { maxMs: number; atSend: number } {
  const ordered = [...sends].sort((a, b) => a.at - b.at);
  const waiting = new Set(ordered.map((send) => send.shippingId));
  let lane: LaneState = IDLE_LANE;
  let maxMs = 0;
  let atSend = -1;
  ordered.forEach((send, index) => {
    let due = Number.POSITIVE_INFINITY;
    for (const id of waiting) due = Math.min(due, plannedAt.get(id) ?? Number.POSITIVE_INFINITY);
    const couldSendAt = Math.max(earliestNextSend(lane, settings), due);
    if (send.at - couldSendAt > maxMs) {
      maxMs = send.at - couldSendAt;
      atSend = index;
    }
    waiting.delete(send.shippingId);
    lane = recordSend(lane, settings, send.at);
  });
  return { maxMs: Math.round(maxMs), atSend };
}

export interface SharedNumberOptions {
  /** Pacing of the company, in seconds (as the API takes it). */
  pacing: { messageInterval: number; longerIntervalAfter: number; greaterInterval: number };
  firstContacts: number;
  secondContacts: number;
  /** Start the second campaign once the number has sent this many of the first's (0: at once). */
  secondAfterSends: number;
  timeoutMs: number;
}

/**
 * Two campaigns on one sandbox number: the first started, the second started after it (at once,
 * or once the first has sent some), both run to completion. Returns what the number did.
 */
export async function twoCampaignsOnOneNumber(system: TestSystem, options: SharedNumberOptions) {
  const seeded = await seedCompany(system, { pacing: options.pacing, contacts: options.firstContacts });
  const second = await system.api('POST', '/v1/contact-lists', { name: 'Segunda' }, seeded.key);
  const contacts = Array.from({ length: options.secondContacts }, (_, i) => ({
    phone: `+55219${String(60_000_000 + i).padStart(8, '0')}`,
    name: `Outro ${i}`,
    fields: { city: 'Niterói' },
  }));
  const added = await system.api('POST', `/v1/contact-lists/${second.body.id}/contacts`, { contacts }, seeded.key);
  if (added.status !== 200) throw new Error(`contacts: ${added.status} ${JSON.stringify(added.body)}`);
  const campaigns = [
    await createCampaign(system, seeded.key, { connectionId: seeded.connectionId, listId: seeded.listId }),
    await createCampaign(system, seeded.key, { connectionId: seeded.connectionId, listId: second.body.id }),
  ];
  const start = async (campaignId: string) => {
    const started = await system.api('POST', `/v1/campaigns/${campaignId}/start`, undefined, seeded.key);
    if (started.status !== 202) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
  };
  await start(campaigns[0]!);
  if (options.secondAfterSends > 0)
    await waitUntil(
      `${options.secondAfterSends} sends of the first campaign`,
      async () => (await system.sandboxSends(seeded.connectionId)).length >= options.secondAfterSends,
      options.timeoutMs,
      50,
    );
  await start(campaigns[1]!);
  for (const campaignId of campaigns)
    await waitForStatus(system, seeded.key, campaignId, 'completed', options.timeoutMs);

  const sends = await system.sandboxSends(seeded.connectionId);
  const shippings = await system.models.Shipping.find(
    { campaignId: { $in: campaigns } },
    { _id: 1, campaignId: 1, plannedAt: 1, status: 1 },
  ).lean();
  const settings: PacingSettings = {
    messageIntervalMs: options.pacing.messageInterval * 1000,
    longerIntervalAfter: options.pacing.longerIntervalAfter,
    greaterIntervalMs: options.pacing.greaterInterval * 1000,
  };
  const idle = idleWhileDue(
    sends.map((send) => ({ shippingId: String(send._id), at: send.receivedAt.getTime() })),
    new Map(shippings.map((shipping) => [String(shipping._id), shipping.plannedAt.getTime()])),
    settings,
  );
  return { seeded, campaigns, sends, shippings, settings, idle };
}
