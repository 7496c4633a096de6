import { z } from 'zod';
import { registerMessages } from './catalog';
import { defineMessage } from './envelope';
import { RecordId, Timestamp } from './ids';

export const SUPPRESSION_SOURCES = ['opt-out', 'api', 'import'] as const;
export type SuppressionSource = (typeof SUPPRESSION_SOURCES)[number];

const Phone = z.string().regex(/^\+\d{6,15}$/, 'an E.164 phone');

/**
 * A phone went on the company's suppression list: the contact answered an opt-out keyword
 * (`source: opt-out`) or the company added it (`api`). Its messages not yet sent were cancelled.
 */
export const ContactOptedOut = defineMessage({
  type: 'ContactOptedOut',
  version: 1,
  routingKey: 'contact.opted-out',
  payload: z.object({
    phone: Phone,
    source: z.enum(SUPPRESSION_SOURCES),
    keyword: z.string().max(100).nullable(),
    connectionId: RecordId.nullable(),
    /** The company's contact with this phone, when there is one. */
    contactId: RecordId.nullable(),
    at: Timestamp,
    cancelledShippings: z.number().int().min(0),
  }),
});

/** The phone left the suppression list: the contact answered an opt-in keyword, or the company lifted it. */
export const ContactOptedIn = defineMessage({
  type: 'ContactOptedIn',
  version: 1,
  routingKey: 'contact.opted-in',
  payload: z.object({
    phone: Phone,
    source: z.enum(['opt-in', 'api']),
    keyword: z.string().max(100).nullable(),
    connectionId: RecordId.nullable(),
    at: Timestamp,
  }),
});

// Replayable from the event log like every other kind.
registerMessages(ContactOptedOut, ContactOptedIn);
