import { type PrepareDeps, prepareContacts } from '../src/application/shippings/contact-preparation';
import { PrepareContacts } from '../src/domain/events/campaign-messages';
import type { MessageOf } from '../src/domain/events/envelope';
import type { ConsumerSpec } from '../src/infrastructure/rabbitmq/consumer-runner';

/**
 * `<prefix>.contact-prepare` ← PrepareContacts (a batch): the shippings are written and handed to
 * their lane by the preparation use case (src/application/shippings/contact-preparation.ts).
 */
export function contactPrepareConsumer(
  deps: PrepareDeps & { prefetch: number },
): ConsumerSpec<MessageOf<typeof PrepareContacts>> {
  return {
    name: 'contact-prepare',
    queue: deps.queues.contactPrepare,
    prefetch: deps.prefetch,
    schema: PrepareContacts.schema,
    handle: (message, { logger }) => prepareContacts(deps, message, logger),
  };
}
