import { z } from 'zod';
import { registerMessages } from './catalog';
import { defineMessage } from './envelope';
import { RecordId } from './ids';

const ConnectionRef = z.object({ connectionId: RecordId });

/** A WhatsApp connection was created: every dispatch worker opens its lane at once (no polling). */
export const ConnectionCreated = defineMessage({
  type: 'ConnectionCreated',
  version: 1,
  routingKey: 'connection.created',
  payload: ConnectionRef,
});

/** A WhatsApp connection is (again) connected: its contacts are synced. Published when it is created. */
export const ConnectionConnected = defineMessage({
  type: 'ConnectionConnected',
  version: 1,
  routingKey: 'connection.connected',
  payload: ConnectionRef,
});

/** The provider reported new or changed contacts on a connection (a webhook, or the sandbox being seeded). */
export const ContactsChanged = defineMessage({
  type: 'ContactsChanged',
  version: 1,
  routingKey: 'contacts.changed',
  payload: ConnectionRef,
});

/** Someone asked for a sync through the API (POST /v1/connections/:id/sync). */
export const ContactSyncRequested = defineMessage({
  type: 'ContactSyncRequested',
  version: 1,
  routingKey: 'contacts.sync-requested',
  payload: ConnectionRef,
});

const Count = z.number().int().min(0);

/**
 * One page of a sync is stored: the ids of the contacts it created (the per-contact ContactSynced,
 * batched per page on the wire) and how many existing contacts had their check recorded again.
 */
export const ContactsSynced = defineMessage({
  type: 'ContactsSynced',
  version: 1,
  routingKey: 'contacts.synced',
  payload: z.object({
    connectionId: RecordId,
    syncId: z.string().min(1).max(128),
    page: Count,
    created: z.array(RecordId).max(5_000),
    updated: Count,
    unchanged: Count,
    invalid: Count,
    notOnWhatsApp: Count,
  }),
});

export const ContactSyncCompleted = defineMessage({
  type: 'ContactSyncCompleted',
  version: 1,
  routingKey: 'contacts.sync-completed',
  payload: z.object({
    connectionId: RecordId,
    syncId: z.string().min(1).max(128),
    pages: Count,
    seen: Count,
    created: Count,
    updated: Count,
    invalid: Count,
    notOnWhatsApp: Count,
  }),
});

// Replayable from the event log like every other kind.
registerMessages(
  ConnectionCreated,
  ConnectionConnected,
  ContactsChanged,
  ContactSyncRequested,
  ContactsSynced,
  ContactSyncCompleted,
);
