/**
 * What an operator sees of one dispatch lane (`disparo lanes`), and the one word that sums it up.
 * Times are epoch ms.
 */
export interface LaneView {
  connectionId: string;
  name: string;
  companyId: string;
  company: string;
  gateway: string;
  /** Messages per second the number's provider accepts (Cloud API 80 by default); null: none. */
  throughputPerSec: number | null;
  state: LaneStateName;
  lastSentAt: number | null;
  /** The earliest next send by the pacing rule (null: the number never sent). */
  nextAllowedAt: number | null;
  coolDownUntil: number | null;
  inFlight: boolean;
  /** now − planned time of the message being sent, or of the oldest one due (null: nothing running). */
  lagMs: number | null;
  /** Messages in the lane queue, ready or held by the dispatcher (null: unknown). */
  queued: number | null;
  dispatchers: number | null;
  /** The management API answered, and has no such queue. */
  queueMissing: boolean;
}

export const LANE_STATES = [
  'halted',
  'cooling-down',
  'sending',
  'unknown',
  'no-queue',
  'no-dispatcher',
  'idle',
  'pacing',
  'waiting',
] as const;
export type LaneStateName = (typeof LANE_STATES)[number];

type Facts = Pick<
  LaneView,
  'coolDownUntil' | 'inFlight' | 'queued' | 'dispatchers' | 'nextAllowedAt' | 'queueMissing'
> & { halted: boolean };

/**
 * The lane's state, most pressing first: halted by the provider, cooling down, a send under way,
 * unknown depth, no queue, messages with nobody to send them, nothing to send, waiting for the
 * pacing gap, or holding a message until its planned time.
 */
export function laneState(facts: Facts, now: number): LaneStateName {
  if (facts.halted) return 'halted';
  if (facts.coolDownUntil !== null && facts.coolDownUntil > now) return 'cooling-down';
  if (facts.inFlight) return 'sending';
  if (facts.queueMissing) return 'no-queue';
  if (facts.queued === null) return 'unknown';
  if (facts.queued > 0 && facts.dispatchers === 0) return 'no-dispatcher';
  if (facts.queued === 0) return 'idle';
  if (facts.nextAllowedAt !== null && facts.nextAllowedAt > now) return 'pacing';
  return 'waiting';
}
