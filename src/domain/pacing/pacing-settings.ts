import { z } from 'zod';

/**
 * How fast one WhatsApp number may send, in milliseconds internally (the API speaks seconds).
 * See pacing-rule.ts for the exact rule.
 */
export const PacingSettingsSchema = z.object({
  messageIntervalMs: z.number().int().min(1),
  /** When set, each gap is drawn in [messageIntervalMs, messageIntervalMaxMs] (see send-gap.ts). */
  messageIntervalMaxMs: z.number().int().min(1).nullish(),
  longerIntervalAfter: z.number().int().min(1),
  greaterIntervalMs: z.number().int().min(1),
});

export type PacingSettings = z.infer<typeof PacingSettingsSchema>;

export const DEFAULT_PACING: PacingSettings = {
  messageIntervalMs: 20_000,
  longerIntervalAfter: 20,
  greaterIntervalMs: 60_000,
};

/**
 * A campaign may slow its number down, never speed it up: the effective value of each setting is
 * the stricter of the company's and the campaign's, so the company's rule always holds on the lane.
 */
export function effectivePacing(company: PacingSettings, campaign?: Partial<PacingSettings>): PacingSettings {
  if (!campaign) return company;
  const messageIntervalMs = Math.max(company.messageIntervalMs, campaign.messageIntervalMs ?? 0);
  // The range's top is the wider of the two (a campaign may add randomness, never remove the floor).
  const top = Math.max(company.messageIntervalMaxMs ?? 0, campaign.messageIntervalMaxMs ?? 0);
  return {
    messageIntervalMs,
    ...(top > messageIntervalMs ? { messageIntervalMaxMs: top } : {}),
    longerIntervalAfter: Math.min(
      company.longerIntervalAfter,
      campaign.longerIntervalAfter ?? Number.POSITIVE_INFINITY,
    ),
    greaterIntervalMs: Math.max(company.greaterIntervalMs, campaign.greaterIntervalMs ?? 0),
  };
}
