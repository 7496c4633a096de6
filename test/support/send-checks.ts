import assert from 'node:assert/strict';
import { findViolations } from '../../src/domain/pacing/pacing-rule';
import type { PacingSettings } from '../../src/domain/pacing/pacing-settings';
import type { TestSystem } from './system';

/**
 * The sandbox's record of one number after a fault: `count` sends, nobody twice, and the pacing
 * rule kept — by the sandbox's own judge and by the rule recomputed from the receipts.
 */
export async function assertSentOncePaced(
  system: TestSystem,
  connectionId: string,
  count: number,
  rule: PacingSettings,
  /** Campaigns sent to the same contacts on this number: each contact gets exactly this many. */
  campaigns = 1,
): Promise<void> {
  const sends = await system.sandboxSends(connectionId);
  assert.equal(sends.length, count * campaigns, 'one send per contact and campaign');
  const perContact = new Map<string, number>();
  for (const send of sends) perContact.set(send.to, (perContact.get(send.to) ?? 0) + 1);
  assert.equal(perContact.size, count, 'every contact reached');
  assert.deepEqual(
    [...perContact].filter(([, times]) => times !== campaigns),
    [],
    campaigns === 1 ? 'nobody twice' : `everybody exactly ${campaigns} times`,
  );
  assert.deepEqual(
    sends.filter((send) => send.violation),
    [],
    'no pacing violation (sandbox judge)',
  );
  assert.deepEqual(
    findViolations(
      sends.map((send) => send.receivedAt.getTime()),
      rule,
    ),
    [],
  );
}
