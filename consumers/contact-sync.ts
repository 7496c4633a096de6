import { z } from 'zod';
import { type ContactSyncDeps, type ContactSyncTrigger, syncContacts } from '../src/application/contacts/contact-sync';
import { ConnectionConnected, ContactSyncRequested, ContactsChanged } from '../src/domain/events/contact-messages';
import type { ConsumerSpec } from '../src/infrastructure/rabbitmq/consumer-runner';

export type { ContactSyncDeps } from '../src/application/contacts/contact-sync';

/**
 * `<prefix>.contact-sync` ← ConnectionConnected | ContactsChanged | ContactSyncRequested: the run is
 * the contact sync use case's (src/application/contacts/contact-sync.ts).
 */
export function contactSyncConsumer(deps: ContactSyncDeps & { prefetch: number }): ConsumerSpec<ContactSyncTrigger> {
  return {
    name: 'contact-sync',
    queue: deps.queues.contactSync,
    prefetch: deps.prefetch,
    schema: z.union([
      ConnectionConnected.schema,
      ContactsChanged.schema,
      ContactSyncRequested.schema,
    ]) as unknown as z.ZodType<ContactSyncTrigger>,
    handle: (message, { logger }) => syncContacts(deps, message, logger),
  };
}
