import { type DispatchDeps, dispatchShipping } from '../src/application/shippings/dispatch';
import { ContactPrepared } from '../src/domain/events/dispatch-messages';
import type { MessageOf } from '../src/domain/events/envelope';
import type { ConsumerSpec } from '../src/infrastructure/rabbitmq/consumer-runner';

export type { DispatchDeps } from '../src/application/shippings/dispatch';

/**
 * `<prefix>.lane.<connectionId>` ← ContactPrepared, at its planned time. The controlled
 * bottleneck: prefetch 1 and single-active-consumer, so one worker sends for the number at a time.
 * What a send checks and records is the dispatch use case's (src/application/shippings/dispatch.ts).
 */
export function dispatchLaneConsumer(
  deps: DispatchDeps,
  connectionId: string,
): ConsumerSpec<MessageOf<typeof ContactPrepared>> {
  return {
    name: 'dispatch',
    queue: deps.queues.lane(connectionId),
    prefetch: 1,
    schema: ContactPrepared.schema,
    handle: (message, { logger }) => dispatchShipping(deps, connectionId, message, logger),
  };
}
