import type { BaselineContext } from '../context';
import type { DispatchCampaignData } from '../queues';

/**
 * DispatchCampaign (concurrency 1, the whole system's only limit): sends one shipping when Bull
 * promotes its delayed job, through the connection's gateway (the sandbox), and marks it sent.
 * Pacing is whatever the delays computed per campaign give: nothing here looks at the number's
 * last send.
 */
export async function dispatchCampaign(
  context: BaselineContext,
  data: DispatchCampaignData,
): Promise<'sent' | 'skipped'> {
  const { Shipping } = context.models;
  const shipping = await Shipping.findById(data.shippingId).lean();
  if (shipping?.status !== 'queued') return 'skipped';
  const { gateway } = await context.gateways.forConnection(String(shipping.connectionId));
  const receipt = await gateway.send({
    idempotencyKey: String(shipping._id),
    to: shipping.phone,
    text: shipping.text,
    mediaUrl: shipping.mediaUrl,
  });
  await Shipping.findOneAndUpdate(
    { _id: shipping._id },
    {
      $set: {
        status: 'sent',
        sentAt: receipt.acceptedAt,
        providerMessageId: receipt.providerMessageId,
        attempts: shipping.attempts + 1,
      },
    },
  );
  return 'sent';
}
