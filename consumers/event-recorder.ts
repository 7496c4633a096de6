import type { Envelope } from '../src/domain/events/envelope';
import type { ConsumerHandler } from '../src/infrastructure/rabbitmq/subscription';

/**
 * `<prefix>.event-recorder` ← every event (bound by `#`; the subscription in src/topology.ts):
 * stores each envelope once in the event log. Any valid envelope is accepted, so events of types
 * added later are recorded too.
 */
export function eventRecorderConsumer(deps: {
  /** Stores an envelope once (the event log); says whether it was new. */
  eventLog: { record(event: Envelope): Promise<unknown> };
}): ConsumerHandler<Envelope> {
  return {
    async handle(event, { logger }) {
      const outcome = await deps.eventLog.record(event);
      logger.debug('event recorded', { outcome });
    },
  };
}
