import { sendToLane } from '../publishers/contact-prepared';
import { haltConnection, pauseCampaignsOf } from '../src/application/connection-halt';
import type { PipelineDeps } from '../src/application/pipeline-deps';
import { recordFailed, recordSent } from '../src/application/shipping-outcome';
import type { ShippingStatus } from '../src/domain/campaigns/campaign-status';
import { ContactPrepared } from '../src/domain/events/dispatch-messages';
import { type Cause, causedBy, type MessageOf } from '../src/domain/events/envelope';
import { waitBeforeSend } from '../src/domain/pacing/pacing-rule';
import { effectivePacing, type PacingSettings } from '../src/domain/pacing/pacing-settings';
import { GatewayError, type SendReceipt, type WhatsAppGateway } from '../src/domain/whatsapp/gateway';
import type { GatewayProvider } from '../src/infrastructure/gateways/gateway-provider';
import { updateIfMatches } from '../src/infrastructure/mongo/conditional-update';
import type { ShippingDoc } from '../src/infrastructure/mongo/models/shipping';
import type { ErrorReporter } from '../src/infrastructure/observability/error-reporter';
import type { Logger } from '../src/infrastructure/observability/logger';
import type { ConsumerSpec } from '../src/infrastructure/rabbitmq/consumer-runner';
import { clip } from '../src/infrastructure/rabbitmq/headers';

type Ready = MessageOf<typeof ContactPrepared>;

export interface DispatchDeps extends PipelineDeps {
  gateways: GatewayProvider;
  /** Longest pacing wait spent holding the message; longer ones go back through the delay levels. */
  maxHoldMs: number;
  /** Waits `ms`, or less when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Aborted when the process shuts down: a message held for its planned time goes back unsent. */
  stopping?: AbortSignal;
  /** Alerts when the provider halts a number (spam limit, bad token). */
  errorReporter?: ErrorReporter;
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
      const {
        gateway,
        companyId,
        companyPacing,
        status: connectionStatus,
      } = await deps.gateways.forConnection(connectionId);
      const shipping = await Shipping.findById(message.payload.shippingId).lean();
      if (!shipping || !isSendable(shipping, gateway)) {
        logger.debug('shipping already handled; dropping the duplicate', { status: shipping?.status ?? 'missing' });
        return;
      }
      if (connectionStatus !== 'connected') {
        // Nothing is sent on a halted or disconnected number: a campaign started on it since is paused too.
        await pauseCampaignsOf(deps, connectionId);
      }
      let campaign = await loadCampaign(deps, message.payload.campaignId);
      if (await parkIfHalted(deps, campaign, shipping)) return;
      if (connectionStatus !== 'connected')
        throw new Error(
          `connection ${connectionId} is ${connectionStatus}; campaign ${message.payload.campaignId} could not be paused`,
        );
      const settings = effectivePacing(companyPacing, campaign?.pacing ?? undefined);

      const { sent: lane, coolDownUntil } = await deps.lanes.dispatchState(
        connectionId,
        companyId,
        settings,
        deps.now(),
      );
      // Not before its planned time (a shipping handed over early waits here), its pacing gap, or a cool-down.
      const now = deps.now();
      const wait = Math.max(
        waitBeforeSend(lane, settings, now),
        (coolDownUntil ?? 0) - now,
        Date.parse(message.payload.plannedAt) - now,
      );
      if (wait > deps.maxHoldMs) {
        // Holding a delivery for long trips the broker's consumer timeout: come back later instead.
        await sendToLane(
          deps.publisher,
          queue,
          { ...message.payload, plannedAt: new Date(deps.now() + wait) },
          cause,
          deps.now(),
        );
        return;
      }
      if (wait > 0) {
        await deps.sleep(wait, deps.stopping);
        if (deps.stopping?.aborted) {
          // Shutting down: hand the message back to its lane unsent (the dispatcher that takes the
          // lane over sends it at its time) rather than sending during shutdown or holding the exit.
          const payload = { ...message.payload, plannedAt: new Date(message.payload.plannedAt) };
          await sendToLane(deps.publisher, queue, payload, cause, deps.now());
          logger.info('shutting down: the held message went back to its lane unsent', {
            shippingId: message.payload.shippingId,
            plannedAt: message.payload.plannedAt,
          });
          return;
        }
        campaign = await loadCampaign(deps, message.payload.campaignId);
        if (await parkIfHalted(deps, campaign, shipping)) return;
      }

      const claimed = await Shipping.findOneAndUpdate(
        { _id: shipping._id, status: { $in: claimableStatuses(gateway) } },
        { $set: { status: 'sending', claimedAt: new Date(deps.now()) }, $inc: { attempts: 1 } },
        { returnDocument: 'after' },
      ).lean();
      if (!claimed) return;
      await deps.lanes.beginSend(connectionId, String(claimed._id), deps.now());
      let receipt: SendReceipt;
      try {
        receipt = await gateway.send({
          idempotencyKey: String(claimed._id),
          to: claimed.phone,
          text: claimed.text,
          mediaUrl: claimed.mediaUrl,
        });
      } catch (error) {
        // A failed attempt still used the number: the next send keeps its distance from it.
        await deps.lanes.endSend(connectionId, lane, settings, deps.now());
        await handleSendFailure(
          deps,
          { connectionId, queue, message: message.payload, gateway: gateway.kind },
          claimed as ShippingDoc,
          error,
          cause,
          logger,
        );
        return;
      }
      await deps.lanes.endSend(connectionId, lane, settings, receipt.acceptedAt.getTime());
      await recordSent(deps, claimed as ShippingDoc, receipt, cause);
      deps.metrics.sent(connectionId, 'sent', receipt.acceptedAt.getTime() - Date.parse(message.payload.plannedAt));
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
    await updateIfMatches(Shipping, { _id: shipping._id, status: 'queued' }, { $set: { status: 'paused' } });
    return true;
  }
  if (!campaign || campaign.status === 'cancelled') {
    const cancelled = await updateIfMatches(
      Shipping,
      { _id: shipping._id, status: { $in: ['queued', 'paused'] } },
      { $set: { status: 'cancelled' } },
    );
    if (cancelled && campaign) {
      await Campaign.updateOne(
        { _id: shipping.campaignId },
        { $inc: { 'counters.cancelled': 1 }, $set: { lastActivityAt: new Date(deps.now()) } },
      );
    }
    return true;
  }
  return false;
}

/** Fallback wait when a gateway asks for a cool-down or a later try without saying how long. */
const DEFAULT_RETRY_AFTER_MS = 60_000;

/**
 * What each kind of failure does (the decision and its code are logged and kept in `lastError`):
 * - `retry`: the shipping goes back to `queued` and the error is rethrown, so the consumer runner
 *   retries the message with backoff;
 * - `lane-backoff`: the lane records a cool-down every send on the number waits for, and this
 *   message comes back when it ends;
 * - `contact-later`: this message alone comes back later, the number keeps sending to others;
 * - `halt-connection`: the connection is halted and its campaigns paused (alert in the logs and
 *   the error reporter); the shipping is parked, so resuming the campaign re-plans it;
 * - `permanent`: the shipping fails for good.
 */
async function handleSendFailure(
  deps: DispatchDeps,
  lane: { connectionId: string; queue: string; message: Ready['payload']; gateway: string },
  shipping: ShippingDoc,
  error: unknown,
  cause: Cause,
  logger: Logger,
): Promise<void> {
  const { Shipping } = deps.models;
  const failure =
    error instanceof GatewayError ? error : new GatewayError('retry', (error as Error).message ?? String(error));
  const lastError = clip(`${failure.code ? `${failure.code}: ` : ''}${failure.message}`, 500);
  const fields = {
    shippingId: String(shipping._id),
    campaignId: String(shipping.campaignId),
    connectionId: lane.connectionId,
    decision: failure.kind,
    code: failure.code,
  };
  deps.metrics.gatewayError(lane.gateway, failure.code ?? 'none', failure.kind);
  deps.metrics.sent(lane.connectionId, failure.kind);
  if (failure.kind !== 'permanent') {
    await updateIfMatches(
      Shipping,
      { _id: shipping._id, status: 'sending' },
      { $set: { status: 'queued', lastError } },
    );
  }
  switch (failure.kind) {
    case 'retry':
      logger.warn('send failed; retrying this message later', { ...fields, error: failure.message });
      throw failure;
    case 'lane-backoff':
    case 'contact-later': {
      const until = deps.now() + (failure.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
      if (failure.kind === 'lane-backoff') await deps.lanes.coolDown(lane.connectionId, until);
      logger.warn(
        failure.kind === 'lane-backoff'
          ? 'send failed; the number cools down'
          : 'send failed; this contact is tried again later',
        {
          ...fields,
          until: new Date(until).toISOString(),
          error: failure.message,
        },
      );
      await sendToLane(deps.publisher, lane.queue, { ...lane.message, plannedAt: new Date(until) }, cause, deps.now());
      return;
    }
    case 'halt-connection': {
      await haltConnection(deps, lane.connectionId, lastError, logger.child(fields));
      if (await parkIfHalted(deps, await loadCampaign(deps, String(shipping.campaignId)), shipping)) return;
      throw failure;
    }
    case 'permanent':
      break;
    default: {
      const unknownKind: never = failure.kind;
      throw new Error(`unknown gateway failure kind ${String(unknownKind)}`);
    }
  }
  logger.warn('message failed for good', { ...fields, error: failure.message });
  await recordFailed(deps, shipping, { lastError, reason: failure.message, code: failure.code }, cause);
}
