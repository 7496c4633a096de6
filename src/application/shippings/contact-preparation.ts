import { Types } from 'mongoose';
import { sendToLane } from '../../../publishers/contact-prepared';
import { publishEvent } from '../../../publishers/domain-event';
import { personalise } from '../../domain/campaigns/personalise';
import { PermanentError } from '../../domain/errors';
import { ContactsPrepared, type PrepareContacts } from '../../domain/events/campaign-messages';
import { type Cause, causedBy, type MessageOf } from '../../domain/events/envelope';
import {
  emptyParameterReason,
  emptyParameters,
  renderTemplateMessage,
  TEMPLATE_PARAMETER_EMPTY,
} from '../../domain/whatsapp/templates';
import type { CampaignDoc } from '../../infrastructure/mongo/models/campaign';
import { newShipping, type ShippingDoc } from '../../infrastructure/mongo/models/shipping';
import type { Logger } from '../../infrastructure/observability/logger';
import { declareLane, type PipelineDeps } from '../pipeline-deps';
import { campaignsOf, shippingsOf } from '../service-registry';

type Prepare = MessageOf<typeof PrepareContacts>;

export type PrepareDeps = PipelineDeps & { laneHandoffMs: number };

/** What preparing a campaign's contacts reads of the campaign. */
export type CampaignToPrepare = Pick<
  CampaignDoc,
  '_id' | 'companyId' | 'connectionId' | 'variants' | 'mediaUrl' | 'template' | 'status'
>;

/** One batch of planned contacts: each with its planned time, and the contact as streamed (when it was). */
export interface BatchToPrepare {
  batch: number;
  items: Array<{
    contactId: string;
    plannedAt: number | string;
    /** The number that sends it, on a campaign with several (absent: the campaign's one number). */
    connectionId?: string;
    contact?: ContactData;
  }>;
}

/**
 * Prepares one batch of a campaign's contacts sent to contact-prepare (PrepareContacts): reads
 * the campaign, then prepares the batch (prepareBatch).
 */
export async function prepareContacts(deps: PrepareDeps, message: Prepare, logger: Logger): Promise<void> {
  const { Campaign } = deps.models;
  const { campaignId, batch, items } = message.payload;
  const campaign = await Campaign.findById(campaignId, {
    companyId: 1,
    connectionId: 1,
    variants: 1,
    mediaUrl: 1,
    template: 1,
    status: 1,
  }).lean();
  if (!campaign) throw new PermanentError(`campaign ${campaignId} does not exist`);
  await prepareBatch(deps, campaign, { batch, items }, causedBy(message), logger);
}

/**
 * Prepares one batch of a campaign's contacts, in contact-prepare (prepareContacts) or, for a
 * campaign's first batch, in campaign-process itself (its first sends skip a queue hop and a read
 * of the campaign). Personalises each contact's message (placeholders; a variant picked
 * reproducibly per contact), writes the shippings in one unordered bulk insert against the unique
 * (campaign, contact) index, and hands every shipping still queued to the connection's lane, to
 * arrive at its planned time. A batch prepared again inserts nothing new and is counted once; the
 * lane drops duplicates it receives.
 */
export async function prepareBatch(
  deps: PrepareDeps,
  campaign: CampaignToPrepare,
  { batch, items }: BatchToPrepare,
  cause: Cause,
  logger: Logger,
): Promise<void> {
  const campaignId = String(campaign._id);
  if (campaign.status === 'cancelled') return;

  const contactIds = items.map((item) => new Types.ObjectId(item.contactId));
  const byId = await contactsOf(deps, campaign.companyId, items);
  const now = new Date(deps.now());
  const shippings: ShippingDoc[] = [];
  for (const item of items) {
    const contact = byId.get(item.contactId);
    if (!contact) continue;
    const fields = { id: item.contactId, name: contact.name, phone: contact.phone, fields: contact.fields };
    // A template campaign sends the template with this contact's parameters; the others a variant.
    const rendered = campaign.template ? renderTemplateMessage(campaign.template, fields) : null;
    const { variant, text } = rendered
      ? { variant: 0, text: rendered.text }
      : personalise(campaign.variants, campaignId, fields);
    const shipping = newShipping(
      {
        companyId: campaign.companyId,
        campaignId: campaign._id,
        contactId: new Types.ObjectId(item.contactId),
        // On a campaign with several numbers, the one campaign-process dealt this contact to.
        connectionId: item.connectionId ? new Types.ObjectId(item.connectionId) : campaign.connectionId,
        phone: contact.phone,
        text,
        variant,
        mediaUrl: rendered ? null : campaign.mediaUrl,
        template: rendered?.message ?? null,
        plannedAt: new Date(item.plannedAt),
      },
      now,
    );
    // Meta refuses an empty parameter (131008): such a contact fails here, never reaching the provider.
    const empty = campaign.template ? emptyParameters(campaign.template, fields) : [];
    if (empty.length > 0) {
      const reason = emptyParameterReason(empty);
      shippings.push(
        shippingsOf(deps).failedAtPreparation(
          shipping,
          { lastError: reason, reason, code: TEMPLATE_PARAMETER_EMPTY },
          cause,
        ),
      );
    } else shippings.push(shipping);
  }
  // Everything of this batch still waiting to be sent: new shippings, and earlier ones a crash left behind.
  const { created, ready } = await shippingsOf(deps).create(campaign._id, contactIds, shippings);
  await Promise.all(
    ready.map((shipping) => {
      const connectionId = String(shipping.connectionId ?? campaign.connectionId);
      const handOff = () =>
        sendToLane(
          deps.publisher,
          deps.queues.lane(connectionId),
          {
            shippingId: String(shipping._id),
            campaignId,
            contactId: String(shipping.contactId),
            connectionId,
            plannedAt: shipping.plannedAt,
          },
          cause,
          deps.now(),
          deps.laneHandoffMs,
        );
      // A lane is declared with its connection (and by a dispatch worker that finds it missing), so
      // it is not asked for before every campaign; a hand-off the broker refused (every message is
      // mandatory: a missing queue fails the publish) declares it and tries once more.
      return handOff().catch(async () => {
        await declareLane(deps, connectionId);
        await handOff();
      });
    }),
  );
  await campaignsOf(deps).countPreparedBatch(campaignId, batch, {
    prepared: shippings.length,
    missing: items.length - shippings.length,
    failed: shippings.filter((shipping) => shipping.status === 'failed').length,
  });
  await publishEvent(
    deps.publisher,
    ContactsPrepared,
    { campaignId, batch, created, handedToLane: ready.length },
    cause,
  );
  logger.debug('batch prepared', { batch, created, handedToLane: ready.length });
  await campaignsOf(deps).completeIfDone(campaignId, cause);
}

type ContactData = { phone: string; name: string | null; fields: Record<string, string> };

/**
 * The batch's contacts: as campaign-process streamed them (no second read), or, for a batch sent
 * without them (an older message, a replay), read by _id — an index lookup everywhere; filtering on
 * companyId in the query makes the local wire server scan, so the tenant check happens here.
 */
async function contactsOf(
  deps: PipelineDeps,
  companyId: Types.ObjectId,
  items: BatchToPrepare['items'],
): Promise<Map<string, ContactData>> {
  const byId = new Map<string, ContactData>();
  const missing: Types.ObjectId[] = [];
  for (const item of items) {
    if (item.contact) byId.set(item.contactId, item.contact);
    else missing.push(new Types.ObjectId(item.contactId));
  }
  if (missing.length === 0) return byId;
  const found = await deps.models.Contact.find(
    { _id: { $in: missing } },
    { companyId: 1, phone: 1, name: 1, fields: 1 },
  ).lean();
  for (const contact of found) {
    if (contact.companyId.equals(companyId))
      byId.set(String(contact._id), { phone: contact.phone, name: contact.name, fields: contact.fields });
  }
  return byId;
}
