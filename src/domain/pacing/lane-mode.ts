import type { PacingSettings } from './pacing-settings';
import { minStartGapMs } from './send-window';

/**
 * How a number's lane sends, decided from its data alone (never from timings seen under load):
 *
 * - `one-at-a-time`: one provider call, its answer, then the next message (the seed's rule, the
 *   anti-ban default). Every number without a provider throughput, and every number whose start
 *   gap is a provider round trip or longer, sends this way.
 * - `throughput`: the number has a documented throughput (a Cloud API number: 80/s by default)
 *   and its start gap, max(messageInterval, 1 s / throughput), is shorter than `maxGapMs` (about a
 *   provider round trip): waiting for each answer would make it slower than its pacing allows, so
 *   the lane takes messages in batches and overlaps calls, each START still a full gap after the
 *   previous one.
 */
export type LaneMode = 'one-at-a-time' | 'throughput';

/** Default bound on the start gap of a throughput lane (DISPATCH_WINDOW_MAX_GAP_MS): a provider round trip. */
export const DEFAULT_WINDOW_MAX_GAP_MS = 250;

export function laneMode(
  pacing: Pick<PacingSettings, 'messageIntervalMs'>,
  throughputPerSec: number | null,
  maxGapMs: number = DEFAULT_WINDOW_MAX_GAP_MS,
): LaneMode {
  if (!(throughputPerSec && throughputPerSec > 0)) return 'one-at-a-time';
  return minStartGapMs(pacing, throughputPerSec) < maxGapMs ? 'throughput' : 'one-at-a-time';
}
