import { Types } from 'mongoose';
import { personalise } from '../../../src/domain/campaigns/personalise';
import { isDuplicateKeyError } from '../../../src/infrastructure/mongo/insert-new';
import { newShipping } from '../../../src/infrastructure/mongo/models/shipping';
import type { BaselineContext } from '../context';
import { type DispatchCampaignData, JOBS, type PrepareContactData } from '../queues';

/**
 * PrepareContact (one job per contact): personalises the message, writes the contact's shipping
 * and adds its DispatchCampaign job, delayed to the planned time. A repeated job finds the
 * shipping already written (unique campaign × contact) and re-adds the same dispatch job id.
 */
export async function prepareContact(
  context: BaselineContext,
  data: PrepareContactData,
): Promise<'prepared' | 'missing'> {
  const { Contact, Shipping } = context.models;
  const [campaign, contact] = await Promise.all([
    context.campaign(data.campaignId),
    Contact.findById(data.contactId, { phone: 1, name: 1, fields: 1 }).lean(),
  ]);
  if (!campaign) throw new Error(`campaign ${data.campaignId} not found`);
  if (!contact) return 'missing';
  const { variant, text } = personalise(campaign.variants, data.campaignId, {
    id: data.contactId,
    phone: contact.phone,
    name: contact.name,
    fields: contact.fields,
  });
  const shipping = newShipping(
    {
      companyId: new Types.ObjectId(campaign.companyId),
      campaignId: new Types.ObjectId(data.campaignId),
      contactId: contact._id,
      connectionId: new Types.ObjectId(campaign.connectionId),
      phone: contact.phone,
      text,
      variant,
      mediaUrl: campaign.mediaUrl,
      plannedAt: new Date(data.plannedAt),
    },
    new Date(),
  );
  let shippingId = shipping._id;
  try {
    await Shipping.collection.insertOne(shipping);
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const existing = await Shipping.findOne(
      { campaignId: data.campaignId, contactId: data.contactId },
      { status: 1 },
    ).lean();
    if (existing?.status !== 'queued') return 'prepared';
    shippingId = existing._id;
  }
  const dispatch: DispatchCampaignData = { shippingId: String(shippingId) };
  await context.queues.dispatch.add(JOBS.dispatchCampaign, dispatch, {
    delay: Math.max(0, data.plannedAt - Date.now()),
    jobId: String(shippingId),
    removeOnComplete: true,
  });
  return 'prepared';
}
