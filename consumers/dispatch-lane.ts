import { completeIfDone } from '../src/application/campaign-completion';
import type { PipelineDeps } from '../src/application/pipeline-deps';
import type { ShippingStatus } from '../src/domain/campaigns/campaign-status';
import { ContactPrepared, MessageDispatched, MessageFailed } from '../src/domain/events/dispatch-messages';
import { type Cause, causedBy, type MessageOf } from '../src/domain/events/envelope';
import { effectivePacing, type PacingSettings } from '../src/domain/pacing/pacing-settings';
import { waitBeforeSend } from '../src/domain/pacing/pacing-rule';
import { GatewayError, type SendReceipt, type WhatsAppGateway } from '../src/domain/whatsapp/gateway';
import { clip } from '../src/infrastructure/rabbitmq/headers';
import type { GatewayProvider } from '../src/infrastructure/gateways/gateway-provider';
import type { ShippingDoc } from '../src/infrastructure/mongo/models/shipping';
import type { ConsumerSpec } from '../src/infrastructure/rabbitmq/consumer-runner';
import type { Logger } from '../src/infrastructure/observability/logger';
import { publishEvent } from '../publishers/domain-event';
import { sendToLane } from '../publishers/contact-prepared';

type Ready = MessageOf<typeof ContactPrepared>;

export interface DispatchDeps extends PipelineDeps {
  gateways: GatewayProvider;
  /** Longest pacing wait spent holding the message; longer ones go back through the delay levels. */
  maxHoldMs: number;
  sleep(ms: number): Promise<void>;
}

/**
 * `<prefix>.lane.<connectionId>` ← ContactPrepared, at its planned time. The controlled
 * bottleneck: prefetch 1 and single-active-consumer, so one worker sends for the number at a time.
 * Before each send: the campaign must still be running (pause and cancel act here, at the next
 * send), the number's pacing is respected against its last real send (persisted lane state, so
 * it survives a failover), and the shipping is claimed atomically (queued → sending) so a
 * duplicate delivery never sends twice. The lane records the send as started before calling the
 * gateway; a dispatcher that takes over after a crash treats such a send as made at takeover.
 */
export function dispatchLaneConsumer(deps: DispatchDeps, connectionId: string): ConsumerSpec<Ready> {
  const queue = deps.queues.lane(connectionId);
  return {
    name: 'dispatch',
    queue,
    prefetch: 1,
    schema: ContactPrepared.schema,
    async handle(message, { logger }) {
      const { Shipping } = deps.models;
      const cause = causedBy(message);
      const { gateway, companyId, companyPacing } = await deps.gateways.forConnection(connectionId);
      const shipping = await Shipping.findById(message.payload.shippingId).lean();
      if (!shipping || !isSendable(shipping, gateway)) {
        logger.debug('shipping already handled; dropping the duplicate', { status: shipping?.status ?? 'missing' });
        return;
      }
      let campaign = await loadCampaign(deps, message.payload.campaignId);
      if (await parkIfHalted(deps, campaign, shipping)) return;
      const settings = effectivePacing(companyPacing, campaign?.pacing ?? undefined);

      const lane = await deps.lanes.sentState(connectionId, companyId, settings, deps.now());
      const wait = waitBeforeSend(lane, settings, deps.now());
      if (wait > deps.maxHoldMs) {
        // Holding a delivery for long trips the broker's consumer timeout: come back later instead.
        await sendToLane(deps.publisher, queue, { ...message.payload, plannedAt: new Date(deps.now() + wait) }, cause, deps.now());
        return;
      }
      if (wait > 0) {
        await deps.sleep(wait);
        campaign = await loadCampaign(deps, message.payload.campaignId);
        if (await parkIfHalted(deps, campaign, shipping)) return;
      }

      const claimed = await Shipping.findOneAndUpdate(
        { _id: shipping._id, status: { $in: claimableStatuses(gateway) } },
        { $set: { status: 'sending' }, $inc: { attempts: 1 } },
        { returnDocument: 'after' },
      ).lean();
      if (!claimed) return;
      await deps.lanes.beginSend(connectionId, String(claimed._id), deps.now());
      let receipt: SendReceipt;
      try {
        receipt = await gateway.send({ idempotencyKey: String(claimed._id), to: claimed.phone, text: claimed.text, mediaUrl: claimed.mediaUrl });
      } catch (error) {
        // A failed attempt still used the number: the next send keeps its distance from it.
        await deps.lanes.endSend(connectionId, lane, settings, deps.now());
        await handleSendFailure(deps, claimed as ShippingDoc, error, cause, logger);
        return;
      }
      await deps.lanes.endSend(connectionId, lane, settings, receipt.acceptedAt.getTime());
      await recordSent(deps, claimed as ShippingDoc, receipt, cause);
      logger.debug('message sent', { shippingId: String(claimed._id), providerMessageId: receipt.providerMessageId });
    },
  };
}

/** Queued shippings are sendable; one left in `sending` by a crash only when the gateway deduplicates. */
function claimableStatuses(gateway: WhatsAppGateway): ShippingStatus[] {
  return gateway.idempotent ? ['queued', 'sending'] : ['queued'];
}

function isSendable(shipping: Pick<ShippingDoc, 'status'>, gateway: WhatsAppGateway): boolean {
  return claimableStatuses(gateway).includes(shipping.status);
}

type CampaignState = { status: string; pacing: Partial<PacingSettings> | null } | null;

async function loadCampaign(deps: DispatchDeps, campaignId: string): Promise<CampaignState> {
  return deps.models.Campaign.findById(campaignId, { status: 1, pacing: 1 }).lean();
}

/** Pause and cancel take effect here, at the next send; returns true when the shipping was parked. */
async function parkIfHalted(deps: DispatchDeps, campaign: CampaignState, shipping: ShippingDoc): Promise<boolean> {
  const { Shipping, Campaign } = deps.models;
  if (campaign?.status === 'paused') {
    await Shipping.updateOne({ _id: shipping._id, status: 'queued' }, { $set: { status: 'paused' } });
    return true;
  }
  if (!campaign || campaign.status === 'cancelled') {
    const cancelled = await Shipping.updateOne({ _id: shipping._id, status: { $in: ['queued', 'paused'] } }, { $set: { status: 'cancelled' } });
    if (cancelled.modifiedCount === 1 && campaign) {
      await Campaign.updateOne({ _id: shipping.campaignId }, { $inc: { 'counters.cancelled': 1 }, $set: { lastActivityAt: new Date(deps.now()) } });
    }
    return true;
  }
  return false;
}

async function recordSent(deps: DispatchDeps, shipping: ShippingDoc, receipt: SendReceipt, cause: Cause): Promise<void> {
  const { Shipping, Campaign } = deps.models;
  const updated = await Shipping.updateOne(
    { _id: shipping._id, status: 'sending' },
    { $set: { status: 'sent', sentAt: receipt.acceptedAt, providerMessageId: receipt.providerMessageId, lastError: null } },
  );
  if (updated.modifiedCount === 1) {
    await Campaign.updateOne({ _id: shipping.campaignId }, { $inc: { 'counters.sent': 1 }, $set: { lastActivityAt: new Date(deps.now()) } });
  }
  await publishEvent(
    deps.publisher,
    MessageDispatched,
    {
      shippingId: String(shipping._id),
      campaignId: String(shipping.campaignId),
      contactId: String(shipping.contactId),
      connectionId: String(shipping.connectionId),
      providerMessageId: receipt.providerMessageId,
      plannedAt: shipping.plannedAt.toISOString(),
      sentAt: receipt.acceptedAt.toISOString(),
    },
    cause,
  );
  await completeIfDone(deps, String(shipping.campaignId), cause);
}

/**
 * A transient failure puts the shipping back to `queued` and rethrows, so the consumer runner
 * retries the message with backoff; a permanent one fails the shipping for good.
 */
async function handleSendFailure(deps: DispatchDeps, shipping: ShippingDoc, error: unknown, cause: Cause, logger: Logger): Promise<void> {
  const { Shipping, Campaign } = deps.models;
  const failure = error instanceof GatewayError ? error : new GatewayError('retry', (error as Error).message ?? String(error));
  const lastError = clip(`${failure.code ? `${failure.code}: ` : ''}${failure.message}`, 500);
  if (failure.kind !== 'permanent') {
    await Shipping.updateOne({ _id: shipping._id, status: 'sending' }, { $set: { status: 'queued', lastError } });
    throw failure;
  }
  const updated = await Shipping.updateOne({ _id: shipping._id, status: 'sending' }, { $set: { status: 'failed', lastError } });
  if (updated.modifiedCount === 1) {
    await Campaign.updateOne({ _id: shipping.campaignId }, { $inc: { 'counters.failed': 1 }, $set: { lastActivityAt: new Date(deps.now()) } });
  }
  logger.warn('message failed for good', { shippingId: String(shipping._id), code: failure.code, error: failure.message });
  await publishEvent(
    deps.publisher,
    MessageFailed,
    {
      shippingId: String(shipping._id),
      campaignId: String(shipping.campaignId),
      contactId: String(shipping.contactId),
      connectionId: String(shipping.connectionId),
      reason: failure.message,
      code: failure.code,
    },
    cause,
  );
  await completeIfDone(deps, String(shipping.campaignId), cause);
}
