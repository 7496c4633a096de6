import { z } from 'zod';
import { defineMessage } from './envelope';
import { RecordId } from './ids';

/** A WhatsApp connection exists: dispatch workers open its lane. */
export const ConnectionCreated = defineMessage({
  type: 'ConnectionCreated',
  version: 1,
  routingKey: 'connection.created',
  payload: z.object({ connectionId: RecordId }),
});
