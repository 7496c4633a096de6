import { z } from 'zod';
import { registerMessages } from './catalog';
import { defineMessage } from './envelope';
import { RecordId } from './ids';

/** A running campaign paused itself: its sends failed past the company's threshold (see failure-threshold.ts). */
export const CampaignAutoPaused = defineMessage({
  type: 'CampaignAutoPaused',
  version: 1,
  routingKey: 'campaign.auto-paused',
  payload: z.object({
    campaignId: RecordId,
    connectionId: RecordId,
    reason: z.string().max(500),
    recentFailures: z.number().int().min(0),
    recentAttempts: z.number().int().min(0),
    consecutiveFailures: z.number().int().min(0),
  }),
});

// Replayable from the event log like every other kind.
registerMessages(CampaignAutoPaused);
