import { ContactPrepared } from '../src/domain/events/dispatch-messages';
import { type Cause, createMessage } from '../src/domain/events/envelope';
import type { Publisher } from '../src/infrastructure/rabbitmq/publisher';

export interface ReadyShipping {
  shippingId: string;
  campaignId: string;
  contactId: string;
  connectionId: string;
  plannedAt: Date;
}

/** Hands a stored shipping to its connection's lane, to arrive there at its planned time. */
export async function sendToLane(publisher: Publisher, laneQueue: string, shipping: ReadyShipping, cause: Cause, now: number = Date.now()): Promise<void> {
  const message = createMessage(ContactPrepared, { ...shipping, plannedAt: shipping.plannedAt.toISOString() }, cause);
  await publisher.send(laneQueue, message, { delayMs: shipping.plannedAt.getTime() - now });
}
