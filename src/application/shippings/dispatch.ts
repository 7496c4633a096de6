import { sendToLane } from '../../../publishers/contact-prepared';
import { claimableStatuses } from '../../domain/campaigns/shipping-status';
import type { ContactPrepared } from '../../domain/events/dispatch-messages';
import { type Cause, causedBy, type MessageOf } from '../../domain/events/envelope';
import { type LaneMode, laneMode } from '../../domain/pacing/lane-mode';
import { waitBeforeSend } from '../../domain/pacing/pacing-rule';
import { effectivePacing, type PacingSettings } from '../../domain/pacing/pacing-settings';
import { effectiveWindow, firstSendableAt, type WeeklySchedule } from '../../domain/pacing/sending-window';
import { GatewayError, type SendReceipt, type WhatsAppGateway } from '../../domain/whatsapp/gateway';
import type { GatewayProvider } from '../../infrastructure/gateways/gateway-provider';
import type { ShippingDoc } from '../../infrastructure/mongo/models/shipping';
import type { ErrorReporter } from '../../infrastructure/observability/error-reporter';
import type { Logger } from '../../infrastructure/observability/logger';
import { clip } from '../../infrastructure/rabbitmq/headers';
import { noteSendOutcome } from '../campaigns/failure-guard';
import { haltConnection, pauseCampaignsOf } from '../connections/connection-service';
import type { PipelineDeps } from '../pipeline-deps';
import { capsOf, shippingsOf } from '../service-registry';
import { cancelIfSuppressed } from '../suppression/dispatch-guard';
import { pauseForTemplate } from '../template-campaigns';

type Ready = MessageOf<typeof ContactPrepared>;

export interface DispatchDeps extends PipelineDeps {
  gateways: GatewayProvider;
  /** Longest pacing wait spent holding the message; longer ones go back through the delay levels. */
  maxHoldMs: number;
  /**
   * Longest a message is held for a wait of its own (its planned time, its campaign's sending window)
   * beyond what the number's pacing makes every message wait: one due later goes back through the
   * delay levels to re-enter the lane at its time, so the due messages behind it go first.
   */
  earlyHoldMs: number;
  /** Waits `ms`, or less when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Aborted when the process shuts down: a message held for its planned time goes back unsent. */
  stopping?: AbortSignal;
  /** Alerts when the provider halts a number (spam limit, bad token). */
  errorReporter?: ErrorReporter;
  /** Bound on a throughput lane's start gap (DISPATCH_WINDOW_MAX_GAP_MS; lane-mode.ts). */
  windowMaxGapMs?: number;
  /** Told the mode each lane's data gives at each message, so a lane whose data changed moves to its mode's consumer. */
  laneModeSeen?(connectionId: string, mode: LaneMode): void;
}

/**
 * Sends one shipping on its number's lane (the lane consumer calls it for each ContactPrepared).
 * Before each send: the campaign must still be running (pause and cancel act here, at the next
 * send), the number's pacing is respected against its last real send (persisted lane state, so
 * it survives a failover), and the shipping is claimed atomically (queued → sending) so a
 * duplicate delivery never sends twice. The lane records the send as started before calling the
 * gateway; a dispatcher that takes over after a crash treats such a send as made at takeover.
 */
export async function dispatchShipping(
  deps: DispatchDeps,
  connectionId: string,
  message: Ready,
  logger: Logger,
): Promise<void> {
  const queue = deps.queues.lane(connectionId);
  const shippings = shippingsOf(deps);
  const cause = causedBy(message);
  // What a send depends on, read at once (a first send waits for every read before it): the number,
  // the shipping, its campaign and the number's pacing record (created with the shipping's company
  // when missing). Nothing here writes but that creation, so a read not needed in the end costs nothing.
  const found = shippings.find(message.payload.shippingId);
  const [connection, shippingRead, campaignRead, laneRecord] = await Promise.all([
    deps.gateways.forConnection(connectionId, cause.companyId),
    found,
    loadCampaign(deps, message.payload.campaignId),
    found.then((each) => (each ? deps.lanes.record(connectionId, String(each.companyId)) : null)),
  ]);
  const {
    gateway,
    companyId,
    companyPacing,
    companyWindows,
    capAt,
    companyCapAt,
    status: connectionStatus,
    throughputPerSec,
  } = connection;
  deps.laneModeSeen?.(connectionId, laneMode(companyPacing, throughputPerSec, deps.windowMaxGapMs));
  let shipping = shippingRead;
  let campaign = campaignRead;
  if (shipping?.outbox) {
    // Sent or failed, but the worker died before the broker confirmed its event: this redelivered
    // message publishes it now (the same event, same eventId), then is done with the shipping.
    await shippings.publishOutcome(shipping);
    logger.info('the shipping had ended without its event confirmed; published it again', {
      shippingId: String(shipping._id),
      status: shipping.status,
      eventId: shipping.outbox.eventId,
    });
    return;
  }
  if (!shipping || !laneRecord || !isSendable(shipping, gateway) || String(shipping.connectionId) !== connectionId) {
    logger.debug('shipping already handled or moved to another number; dropping this message', {
      status: shipping?.status ?? 'missing',
    });
    return;
  }
  if (connectionStatus !== 'connected') {
    // Nothing is sent on a halted or disconnected number: a campaign started on it since is paused too
    // (one with other numbers has its contacts moved to them instead).
    await pauseCampaignsOf(deps, connectionId);
    shipping = await shippings.find(message.payload.shippingId);
    if (!shipping || String(shipping.connectionId) !== connectionId) return;
    campaign = await loadCampaign(deps, message.payload.campaignId);
  }
  if (await parkIfHalted(deps, campaign, shipping, cause)) return;
  if (connectionStatus !== 'connected')
    throw new Error(
      `connection ${connectionId} is ${connectionStatus}; campaign ${message.payload.campaignId} could not be paused`,
    );
  const settings = effectivePacing(companyPacing, campaign?.pacing ?? undefined);

  const { sent: lane, coolDownUntil } = await deps.lanes.resolve(connectionId, laneRecord, settings, deps.now());
  const now = deps.now();
  // What the number makes any message wait: its pacing gap since the last real send (with this
  // campaign's stricter values, if any: held, not deferred, so looser campaigns never starve it), a cool-down.
  const laneWait = Math.max(0, waitBeforeSend(lane, settings, now), (coolDownUntil ?? 0) - now);
  // Not before its planned time (a shipping handed over early waits for it)…
  const byPacing = Math.max(laneWait, Date.parse(message.payload.plannedAt) - now);
  // …and inside a sending window (the company's, narrowed by the campaign's; read now, so a change applies here).
  const window = effectiveWindow(companyWindows.timezone, companyWindows.sendingWindows, campaign?.sendingWindows);
  const wait = window ? untilSendable(window, now, byPacing) : byPacing;
  // Holding a delivery for long trips the broker's consumer timeout; holding it for a wait of its
  // own (not yet due, or outside its window) idles the lane while a message behind it may be due.
  // Either way it comes back through the delay levels at its time, and the lane moves on.
  if (wait > deps.maxHoldMs || wait - laneWait > deps.earlyHoldMs) {
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
    // Held until its time, the campaign read again a little before it (a pause or cancel during the
    // hold applies), so at the time itself the send waits only for its claim.
    const sendAt = deps.now() + wait;
    if (!(await hold(deps, sendAt - RECHECK_BEFORE_MS))) return handBack(deps, queue, message, cause, logger);
    campaign = await loadCampaign(deps, message.payload.campaignId);
    if (await parkIfHalted(deps, campaign, shipping, cause)) return;
    if (!(await hold(deps, sendAt))) return handBack(deps, queue, message, cause, logger);
  }
  if (window && untilSendable(window, deps.now(), 0) > 0) {
    // Woke too late for the window (a slow timer at its closing): back to the lane for its next opening.
    const at = deps.now() + untilSendable(window, deps.now(), 0);
    await sendToLane(deps.publisher, queue, { ...message.payload, plannedAt: new Date(at) }, cause, deps.now());
    return;
  }

  // A slot under the number's daily cap and the company's, reserved atomically before the send (exact across workers).
  const caps = [
    { scope: `connection:${connectionId}`, limit: capAt(deps.now()) },
    { scope: `company:${companyId}`, limit: companyCapAt(deps.now()) },
  ].filter((cap) => cap.limit !== null);
  if (caps.length > 0) {
    const reservation = await capsOf(deps).reserveAll(caps, shipping.phone, deps.now());
    if (!reservation.ok) {
      logger.debug('daily cap reached; the message waits for a free slot', {
        scope: reservation.scope,
        until: new Date(reservation.freesAt).toISOString(),
      });
      const plannedAt = new Date(reservation.freesAt);
      await sendToLane(deps.publisher, queue, { ...message.payload, plannedAt }, cause, deps.now());
      return;
    }
  }
  // Claimed only while still on this number (a halt elsewhere may have moved it meanwhile).
  const claimed = await shippings.claim(shipping._id, gateway.idempotent, shipping.connectionId);
  if (!claimed) return;
  // The opt-out check (after the claim: dispatch-guard.ts) and the in-flight mark, at once: the
  // send waits for both. A withdrawn shipping's mark is taken back (the lane as it was, unsent).
  const [suppressed] = await Promise.all([
    cancelIfSuppressed(deps, claimed, cause),
    deps.lanes.beginSend(connectionId, String(claimed._id), deps.now()),
  ]);
  if (suppressed) {
    await deps.lanes.dropSend(connectionId, lane);
    return;
  }
  let receipt: SendReceipt;
  try {
    receipt = await gateway.send({
      idempotencyKey: String(claimed._id),
      to: claimed.phone,
      text: claimed.text,
      mediaUrl: claimed.mediaUrl,
      template: claimed.template ?? null,
    });
  } catch (error) {
    // A failed attempt still used the number: the next send keeps its distance from it.
    await deps.lanes.endSend(connectionId, lane, settings, deps.now());
    await noteSendOutcome(deps, claimed, error, cause);
    await handleSendFailure(
      deps,
      { connectionId, queue, message: message.payload, gateway: gateway.kind },
      claimed,
      error,
      cause,
      logger,
    );
    return;
  }
  await deps.lanes.endSend(connectionId, lane, settings, receipt.acceptedAt.getTime());
  await shippings.markSent(claimed, receipt, cause);
  await noteSendOutcome(deps, claimed, null, cause);
  deps.metrics.sent(connectionId, 'sent', receipt.acceptedAt.getTime() - Date.parse(message.payload.plannedAt));
  logger.debug('message sent', { shippingId: String(claimed._id), providerMessageId: receipt.providerMessageId });
}

/** How long before a held message's time its campaign is read again (the read is off the send's path). */
const RECHECK_BEFORE_MS = 100;

/** Waits until `at`; false when the process is shutting down meanwhile. */
async function hold(deps: DispatchDeps, at: number): Promise<boolean> {
  const left = at - deps.now();
  if (left > 0) await deps.sleep(left, deps.stopping);
  return !deps.stopping?.aborted;
}

/**
 * Shutting down: a held message goes back to its lane unsent (the dispatcher that takes the lane
 * over sends it at its time) rather than being sent during shutdown or holding the exit.
 */
async function handBack(deps: DispatchDeps, queue: string, message: Ready, cause: Cause, logger: Logger) {
  const payload = { ...message.payload, plannedAt: new Date(message.payload.plannedAt) };
  await sendToLane(deps.publisher, queue, payload, cause, deps.now());
  logger.info('shutting down: the held message went back to its lane unsent', {
    shippingId: message.payload.shippingId,
    plannedAt: message.payload.plannedAt,
  });
}

/**
 * A send must start at least this long before its window closes: the provider receives it a few
 * milliseconds after the check, and that moment must still be inside the window.
 */
const WINDOW_CLOSING_MARGIN_MS = 1_000;

/** How long from `now` until a send `wait` ms from now may start inside a window (an hour when none ever opens). */
export function untilSendable(
  window: NonNullable<ReturnType<typeof effectiveWindow>>,
  now: number,
  wait: number,
): number {
  const at = firstSendableAt(window, now + wait, WINDOW_CLOSING_MARGIN_MS);
  return at === null ? wait + 3_600_000 : at - now;
}

/** Queued shippings are sendable; one left in `sending` by a crash only when the gateway deduplicates. */
export function isSendable(shipping: Pick<ShippingDoc, 'status'>, gateway: WhatsAppGateway): boolean {
  return claimableStatuses(gateway.idempotent).includes(shipping.status);
}

export type CampaignState = {
  status: string;
  pacing: Partial<PacingSettings> | null;
  sendingWindows?: WeeklySchedule | null;
} | null;

async function loadCampaign(deps: DispatchDeps, campaignId: string): Promise<CampaignState> {
  return deps.models.Campaign.findById(campaignId, { status: 1, pacing: 1, sendingWindows: 1 }).lean();
}

/** Pause and cancel take effect here, at the next send; returns true when the shipping was parked. */
export async function parkIfHalted(
  deps: DispatchDeps,
  campaign: CampaignState,
  shipping: ShippingDoc,
  cause: Cause,
): Promise<boolean> {
  if (campaign?.status === 'paused') {
    const shippings = shippingsOf(deps);
    if (await shippings.park(shipping._id)) {
      // Resumed between the read above and this park: resuming re-planned the shippings parked
      // before it, not this one, which would stay parked for good. It goes back into its lane.
      const now = await loadCampaign(deps, String(shipping.campaignId));
      if (now?.status === 'running') await shippings.replan(shipping, new Date(deps.now()), cause);
    }
    return true;
  }
  if (!campaign || campaign.status === 'cancelled') {
    // Counted on the campaign (a campaign that is gone has nothing to count).
    await shippingsOf(deps).cancel(shipping);
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
 * - `pause-campaign`: the campaign's template is unusable: the campaign is paused with the reason
 *   and the shipping parked like the rest, so resuming (once the template is fixed) sends it;
 * - `permanent`: the shipping fails for good.
 */
export async function handleSendFailure(
  deps: DispatchDeps,
  lane: { connectionId: string; queue: string; message: Ready['payload']; gateway: string },
  shipping: ShippingDoc,
  error: unknown,
  cause: Cause,
  logger: Logger,
): Promise<void> {
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
    await shippingsOf(deps).release(shipping._id, lastError);
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
      // A campaign with other numbers moved this contact to one of them: nothing more to do here.
      const now = await shippingsOf(deps).find(String(shipping._id));
      if (now && String(now.connectionId) !== lane.connectionId) return;
      if (await parkIfHalted(deps, await loadCampaign(deps, String(shipping.campaignId)), shipping, cause)) return;
      throw failure;
    }
    case 'pause-campaign': {
      const campaign = { campaignId: String(shipping.campaignId), connectionId: lane.connectionId };
      await pauseForTemplate(deps, cause, campaign, lastError, logger.child(fields));
      if (await parkIfHalted(deps, await loadCampaign(deps, campaign.campaignId), shipping, cause)) return;
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
  await shippingsOf(deps).markFailed(shipping, { lastError, reason: failure.message, code: failure.code }, cause);
}
