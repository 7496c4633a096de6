import type { PacingSettings } from '../../src/domain/pacing/pacing-settings';

/**
 * The seed's plan ("Calcula atrasos para evitar bloqueio por spam"): contact i of a campaign is due
 * this long after the campaign starts — `messageInterval` between sends, `greaterInterval` before
 * every `longerIntervalAfter`-th. Alone on its number, that is exactly Disparo's pacing rule; but the
 * plan is per campaign and knows nothing of other campaigns sending on the same number.
 */
export function sendOffsetMs(index: number, settings: PacingSettings): number {
  const longGaps = Math.floor(index / settings.longerIntervalAfter);
  return (index - longGaps) * settings.messageIntervalMs + longGaps * settings.greaterIntervalMs;
}
