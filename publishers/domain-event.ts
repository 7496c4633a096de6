import type { z } from 'zod';
import { type Cause, createMessage, type MessageDefinition } from '../src/domain/events/envelope';
import type { Publisher } from '../src/infrastructure/rabbitmq/publisher';

/**
 * Publishes a domain event (CampaignStarted, MessageDispatched, …) to the events exchange, where
 * every interested queue gets it (the event recorder always does). Resolves once confirmed.
 */
export async function publishEvent<T extends string, P extends z.ZodType>(
  publisher: Publisher,
  definition: MessageDefinition<T, P>,
  payload: z.input<P>,
  cause: Cause,
): Promise<string> {
  const message = createMessage(definition, payload, cause);
  await publisher.publish(definition, message);
  return message.eventId;
}
