import { publishEvent } from '../../../publishers/domain-event';
import {
  type AutoPauseSettings,
  autoPauseReason,
  countsAsFailure,
  DEFAULT_AUTO_PAUSE,
  type SendOutcomes,
  withOutcome,
} from '../../domain/campaigns/failure-threshold';
import { isAppError } from '../../domain/errors';
import { CampaignAutoPaused } from '../../domain/events/campaign-health-messages';
import type { Cause } from '../../domain/events/envelope';
import { GatewayError } from '../../domain/whatsapp/gateway';
import type { ShippingDoc } from '../../infrastructure/mongo/models/shipping';
import type { ErrorReporter } from '../../infrastructure/observability/error-reporter';
import type { PipelineDeps } from '../pipeline-deps';
import { pauseCampaign } from './campaign-controls';

/** Raised to the error reporter when a campaign pauses itself (an operator should look at why). */
export class CampaignAutoPausedAlert extends Error {
  override name = 'CampaignAutoPaused';
}

type GuardDeps = PipelineDeps & { errorReporter?: ErrorReporter };

/**
 * Each campaign's recent send attempts, in the memory of the process that sends for its number.
 * A number's lane has one active consumer, so one process sees all of a campaign's sends; after a
 * failover the new one starts the window afresh (at worst the pause comes a window later).
 */
const outcomesOf = new Map<string, SendOutcomes>();
const MAX_TRACKED = 10_000;
const settingsOf = new Map<string, { at: number; settings: AutoPauseSettings }>();
const SETTINGS_TTL_MS = 5_000;

/**
 * The dispatch lane reports every send attempt here (`error` null: sent). Failures that do not
 * halt the number — transient errors, per-contact refusals, permanent failures — count; when they
 * pass the company's threshold (a share of the last `window` attempts, or `consecutive` in a row)
 * the running campaign is paused with the reason on it, CampaignAutoPaused is published, counted
 * and reported. Resume as usual (the reason is cleared then, and the window starts afresh).
 */
export async function noteSendOutcome(
  deps: GuardDeps,
  shipping: Pick<ShippingDoc, 'companyId' | 'campaignId' | 'connectionId'>,
  error: unknown,
  cause: Cause,
): Promise<void> {
  if (error !== null && !countsAsFailure(error instanceof GatewayError ? error.kind : 'retry')) return;
  const settings = await autoPauseSettings(deps, String(shipping.companyId));
  if (!settings.enabled) return;
  const campaignId = String(shipping.campaignId);
  const before = outcomesOf.get(campaignId) ?? { recent: [], consecutiveFailures: 0 };
  // Healthy campaigns are not tracked at all until their first failure.
  if (error === null && before.recent.length === 0) return;
  const outcomes = withOutcome(before, error !== null, settings.window);
  outcomesOf.delete(campaignId);
  outcomesOf.set(campaignId, outcomes);
  if (outcomesOf.size > MAX_TRACKED) outcomesOf.delete(outcomesOf.keys().next().value!);
  if (outcomes.recent.every((outcome) => outcome === 0)) outcomesOf.delete(campaignId);
  const reason = autoPauseReason(outcomes, settings);
  if (reason) await autoPause(deps, shipping, outcomes, reason, cause);
}

async function autoPause(
  deps: GuardDeps,
  shipping: Pick<ShippingDoc, 'companyId' | 'campaignId' | 'connectionId'>,
  outcomes: SendOutcomes,
  reason: string,
  cause: Cause,
): Promise<void> {
  const campaignId = String(shipping.campaignId);
  outcomesOf.delete(campaignId);
  try {
    await pauseCampaign(deps, { ...cause, companyId: String(shipping.companyId) }, campaignId, reason, {
      reason,
      at: new Date(deps.now()),
    });
  } catch (error) {
    // Paused, cancelled or finished meanwhile: nothing left to stop.
    if (isAppError(error, 'conflict') || isAppError(error, 'not-found')) return;
    throw error;
  }
  const failures = outcomes.recent.reduce((sum, outcome) => sum + outcome, 0);
  await publishEvent(
    deps.publisher,
    CampaignAutoPaused,
    {
      campaignId,
      connectionId: String(shipping.connectionId),
      reason,
      recentFailures: failures,
      recentAttempts: outcomes.recent.length,
      consecutiveFailures: outcomes.consecutiveFailures,
    },
    cause,
  );
  deps.metrics.campaignAutoPaused();
  const context = {
    campaignId,
    companyId: String(shipping.companyId),
    connectionId: String(shipping.connectionId),
    reason,
  };
  deps.logger.error('campaign paused automatically: its sends keep failing', context);
  deps.errorReporter?.capture(new CampaignAutoPausedAlert(`campaign ${campaignId} paused: ${reason}`), context);
}

async function autoPauseSettings(deps: PipelineDeps, companyId: string): Promise<AutoPauseSettings> {
  const cached = settingsOf.get(companyId);
  if (cached && deps.now() - cached.at < SETTINGS_TTL_MS) return cached.settings;
  const company = await deps.models.Company.findById(companyId, { autoPause: 1 }).lean();
  const settings = { ...DEFAULT_AUTO_PAUSE, ...company?.autoPause };
  settingsOf.set(companyId, { at: deps.now(), settings });
  if (settingsOf.size > MAX_TRACKED) settingsOf.delete(settingsOf.keys().next().value!);
  return settings;
}
