import { type Envelope, EnvelopeSchema } from '../src/domain/events/envelope';
import type { ConsumerSpec } from '../src/infrastructure/rabbitmq/consumer-runner';

/**
 * Binds `<prefix>.event-recorder` (every routing key) and stores each envelope once in the event
 * log. Any valid envelope is accepted, so events of types added later are recorded too.
 */
export function eventRecorderConsumer(deps: {
  queue: string;
  prefetch: number;
  /** Stores an envelope once (the event log); says whether it was new. */
  eventLog: { record(event: Envelope): Promise<unknown> };
}): ConsumerSpec<Envelope> {
  return {
    name: 'event-recorder',
    queue: deps.queue,
    prefetch: deps.prefetch,
    schema: EnvelopeSchema as unknown as ConsumerSpec<Envelope>['schema'],
    async handle(event, { logger }) {
      const outcome = await deps.eventLog.record(event);
      logger.debug('event recorded', { outcome });
    },
  };
}
