import { z } from 'zod';
import { defineMessage } from './envelope';
import { RecordId, Timestamp } from './ids';

/** A scheduler instance claimed the campaign; CampaignDue is on its way to arrive at `scheduledAt`. */
export const CampaignScheduled = defineMessage({
  type: 'CampaignScheduled',
  version: 1,
  routingKey: 'campaign.scheduled',
  payload: z.object({ campaignId: RecordId, scheduledAt: Timestamp }),
});

/** Work for campaign-process, delivered at the scheduled time through the delay levels. */
export const CampaignDue = defineMessage({
  type: 'CampaignDue',
  version: 1,
  routingKey: 'campaign.due',
  payload: z.object({ campaignId: RecordId, scheduledAt: Timestamp }),
});

export const CampaignStarted = defineMessage({
  type: 'CampaignStarted',
  version: 1,
  routingKey: 'campaign.started',
  payload: z.object({
    campaignId: RecordId,
    connectionId: RecordId,
    audience: z.number().int().min(0),
    firstSendAt: Timestamp.nullable(),
    lastSendAt: Timestamp.nullable(),
  }),
});

/** Work for contact-prepare: a batch of contacts with their planned send times. */
export const PrepareContacts = defineMessage({
  type: 'PrepareContacts',
  version: 1,
  routingKey: 'contact.prepare',
  payload: z.object({
    campaignId: RecordId,
    batch: z.number().int().min(0),
    items: z
      .array(
        z.object({
          contactId: RecordId,
          plannedAt: Timestamp,
          /** The number that sends it, on a campaign with several (absent: the campaign's one number). */
          connectionId: RecordId.optional(),
          /** The contact as streamed: contact-prepare personalises from it without reading it again. */
          contact: z
            .object({ phone: z.string().min(1), name: z.string().nullable(), fields: z.record(z.string(), z.string()) })
            .optional(),
        }),
      )
      .min(1)
      .max(5_000),
  }),
});

/** A batch of shippings is stored and handed to the lane (one event per batch, not per contact). */
export const ContactsPrepared = defineMessage({
  type: 'ContactsPrepared',
  version: 1,
  routingKey: 'contact.prepared',
  payload: z.object({
    campaignId: RecordId,
    batch: z.number().int().min(0),
    created: z.number().int().min(0),
    handedToLane: z.number().int().min(0),
  }),
});

const CampaignRef = z.object({ campaignId: RecordId });

/** `reason`: why Disparo paused it itself (the provider refused its template); absent when a person paused it. */
export const CampaignPaused = defineMessage({
  type: 'CampaignPaused',
  version: 1,
  routingKey: 'campaign.paused',
  payload: CampaignRef.extend({ reason: z.string().max(1_000).optional() }),
});
export const CampaignResumed = defineMessage({
  type: 'CampaignResumed',
  version: 1,
  routingKey: 'campaign.resumed',
  payload: CampaignRef,
});
export const CampaignCancelled = defineMessage({
  type: 'CampaignCancelled',
  version: 1,
  routingKey: 'campaign.cancelled',
  payload: CampaignRef,
});

export const CampaignCompleted = defineMessage({
  type: 'CampaignCompleted',
  version: 1,
  routingKey: 'campaign.completed',
  payload: z.object({
    campaignId: RecordId,
    counters: z.object({
      sent: z.number().int(),
      failed: z.number().int(),
      cancelled: z.number().int(),
      skipped: z.number().int(),
    }),
  }),
});
