import { type PrepareDeps, prepareContacts } from '../src/application/shippings/contact-preparation';
import type { PrepareContacts } from '../src/domain/events/campaign-messages';
import type { MessageOf } from '../src/domain/events/envelope';
import type { ConsumerHandler } from '../src/infrastructure/rabbitmq/subscription';

/**
 * `<prefix>.contact-prepare` ← PrepareContacts (a batch; the subscription in src/topology.ts): the
 * shippings are written and handed to their lane by the preparation use case
 * (src/application/shippings/contact-preparation.ts).
 */
export function contactPrepareConsumer(deps: PrepareDeps): ConsumerHandler<MessageOf<typeof PrepareContacts>> {
  return { handle: (message, { logger }) => prepareContacts(deps, message, logger) };
}
