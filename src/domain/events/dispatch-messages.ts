import { z } from 'zod';
import { defineMessage } from './envelope';
import { RecordId, Timestamp } from './ids';

/** Work for a dispatch lane: one shipping to send, arriving at its planned time. */
export const ContactPrepared = defineMessage({
  type: 'ContactPrepared',
  version: 1,
  routingKey: 'contact.ready',
  payload: z.object({
    shippingId: RecordId,
    campaignId: RecordId,
    contactId: RecordId,
    connectionId: RecordId,
    plannedAt: Timestamp,
  }),
});

export const MessageDispatched = defineMessage({
  type: 'MessageDispatched',
  version: 1,
  routingKey: 'message.dispatched',
  payload: z.object({
    shippingId: RecordId,
    campaignId: RecordId,
    contactId: RecordId,
    connectionId: RecordId,
    providerMessageId: z.string().min(1),
    plannedAt: Timestamp,
    sentAt: Timestamp,
  }),
});

export const MessageFailed = defineMessage({
  type: 'MessageFailed',
  version: 1,
  routingKey: 'message.failed',
  payload: z.object({
    shippingId: RecordId,
    campaignId: RecordId,
    contactId: RecordId,
    connectionId: RecordId,
    reason: z.string(),
    code: z.string().nullable(),
  }),
});
