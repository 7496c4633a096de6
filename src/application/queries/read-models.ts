import { type EventFilter, EventLog, type EventRecord } from '../../infrastructure/mongo/event-log';
import type { CompanyDoc } from '../../infrastructure/mongo/models/company';
import type { ContactSyncDoc } from '../../infrastructure/mongo/models/contact-jobs';
import type { PipelineDeps } from '../pipeline-deps';

export { connectionIdsOf } from '../../infrastructure/mongo/models/campaign';

/** The stored shapes entry points present (read-only views; changes go through the services). */
export type { CompanyDoc, ContactSyncDoc, EventFilter, EventRecord };

/** The event log, for listing what happened (recording and replay are the application's). */
export function eventLogOf(deps: Pick<PipelineDeps, 'models'>): Pick<EventLog, 'find'> {
  return new EventLog(deps.models.Campaign.db);
}
