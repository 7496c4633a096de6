import { z } from 'zod';

/**
 * How fast one WhatsApp number may send, in milliseconds internally (the API speaks seconds).
 * See pacing-rule.ts for the exact rule.
 */
export const PacingSettingsSchema = z.object({
  messageIntervalMs: z.number().int().min(1),
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
  return {
    messageIntervalMs: Math.max(company.messageIntervalMs, campaign.messageIntervalMs ?? 0),
    longerIntervalAfter: Math.min(
      company.longerIntervalAfter,
      campaign.longerIntervalAfter ?? Number.POSITIVE_INFINITY,
    ),
    greaterIntervalMs: Math.max(company.greaterIntervalMs, campaign.greaterIntervalMs ?? 0),
  };
}
