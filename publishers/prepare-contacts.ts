import { PrepareContacts } from '../src/domain/events/campaign-messages';
import { type Cause, createMessage } from '../src/domain/events/envelope';
import type { Publisher } from '../src/infrastructure/rabbitmq/publisher';

export interface PlannedContact {
  contactId: string;
  plannedAt: number;
  /** The number that sends it, for a campaign on several (absent: the campaign's one number). */
  connectionId?: string;
  contact?: { phone: string; name: string | null; fields: Record<string, string> };
}

/** Sends one batch of planned contacts to contact-prepare. */
export async function sendPrepareContacts(
  publisher: Publisher,
  queue: string,
  batch: { campaignId: string; batch: number; items: PlannedContact[] },
  cause: Cause,
): Promise<void> {
  const items = batch.items.map((item) => ({
    contactId: item.contactId,
    plannedAt: new Date(item.plannedAt).toISOString(),
    ...(item.connectionId ? { connectionId: item.connectionId } : {}),
    contact: item.contact,
  }));
  await publisher.send(
    queue,
    createMessage(PrepareContacts, { campaignId: batch.campaignId, batch: batch.batch, items }, cause),
  );
}
