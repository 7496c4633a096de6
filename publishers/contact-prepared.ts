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

/**
 * Hands a stored shipping to its connection's lane, to arrive there at its planned time. With a
 * `handoffMs` window, a shipping planned that soon goes into the lane at once and the lane holds
 * it until its planned time: in planned order, a near-term send skips the delay levels (which cost
 * the broker about eight queue hops per message). Retries never use the window: they must re-enter
 * the lane later, not wait at its head.
 */
export async function sendToLane(
  publisher: Publisher,
  laneQueue: string,
  shipping: ReadyShipping,
  cause: Cause,
  now: number = Date.now(),
  handoffMs = 0,
): Promise<void> {
  const message = createMessage(ContactPrepared, { ...shipping, plannedAt: shipping.plannedAt.toISOString() }, cause);
  const delayMs = shipping.plannedAt.getTime() - now;
  await publisher.send(laneQueue, message, { delayMs: delayMs <= handoffMs ? 0 : delayMs });
}
