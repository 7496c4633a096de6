import type { Envelope } from '../src/domain/events/envelope';
import type { EventLog } from '../src/infrastructure/mongo/event-log';
import type { ConsumerHandler } from '../src/infrastructure/rabbitmq/subscription';

/**
 * `<prefix>.event-recorder` ← every event (bound by `#`): stores each envelope once in the event
 * log. Any valid envelope is accepted, so events of types added later are recorded too.
 */
export function eventRecorderConsumer(deps: { eventLog: EventLog }): ConsumerHandler<Envelope> {
  return {
    async handle(event, { logger }) {
      const outcome = await deps.eventLog.record(event);
      logger.debug('event recorded', { outcome });
    },
  };
}
