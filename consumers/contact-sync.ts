import { type ContactSyncDeps, type ContactSyncTrigger, syncContacts } from '../src/application/contacts/contact-sync';
import type { ConsumerHandler } from '../src/infrastructure/rabbitmq/subscription';

export type { ContactSyncDeps } from '../src/application/contacts/contact-sync';

/**
 * `<prefix>.contact-sync` ← ConnectionConnected | ContactsChanged | ContactSyncRequested (the
 * subscription in src/topology.ts): the run is the contact sync use case's
 * (src/application/contacts/contact-sync.ts).
 */
export function contactSyncConsumer(deps: ContactSyncDeps): ConsumerHandler<ContactSyncTrigger> {
  return { handle: (message, { logger }) => syncContacts(deps, message, logger) };
}
