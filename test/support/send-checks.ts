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
): Promise<void> {
  const sends = await system.sandboxSends(connectionId);
  assert.equal(sends.length, count, 'one send per contact');
  assert.equal(new Set(sends.map((send) => send.to)).size, count, 'nobody twice');
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
