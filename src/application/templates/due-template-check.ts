import { isAppError } from '../../domain/errors';
import type { Cause } from '../../domain/events/envelope';
import { checkMapping, type FieldProblem, findTemplate, templateShape } from '../../domain/whatsapp/templates';
import { UnknownConnectionError } from '../../infrastructure/gateways/gateway-provider';
import { type CampaignDoc, connectionIdsOf } from '../../infrastructure/mongo/models/campaign';
import type { Logger } from '../../infrastructure/observability/logger';
import type { PipelineDeps } from '../pipeline-deps';
import { campaignsOf } from '../service-registry';
import { pauseForTemplate, TemplateCampaignError } from '../template-campaigns';
import { type TemplateDeps, TemplatesUnavailableError, templateCatalogue } from './template-catalogue';

/** Gateway codes that say the number cannot have templates at all (not a passing outage). */
const NO_TEMPLATES = new Set(['NO_WABA_ID', 'UNSUPPORTED']);

/**
 * When a scheduled template campaign becomes due (campaign-process, before anything is planned):
 * its template is checked again against every number's catalogue, read afresh from the provider,
 * since the API only checked it at creation, PATCH, start and resume. A template that is gone, not
 * APPROVED, missing the language or whose slots changed pauses the campaign with the reason, as the
 * provider refusing it mid-campaign does (pauseForTemplate: CampaignPaused, `pausedReason`), and
 * nothing is sent. Returns whether it paused the campaign.
 *
 * A catalogue that cannot be read now (provider down, token refused) does not hold the campaign
 * back: the stored one is used, and if the template did become unusable meanwhile, the first send
 * is refused (132xxx) and dispatch pauses the campaign the same way, after one refused send and no
 * failed contact. Pausing on an outage instead would stop every due campaign of the account for a
 * read that sending does not need. Only a number that cannot have templates at all (no business
 * account id, a gateway without templates) pauses it.
 */
export async function pauseIfTemplateUnusable(
  deps: PipelineDeps & TemplateDeps,
  campaignId: string,
  cause: Cause,
  logger: Logger,
): Promise<boolean> {
  let campaign: CampaignDoc;
  try {
    campaign = await campaignsOf(deps).find(cause.companyId, campaignId);
  } catch (error) {
    // No such campaign: processing says so itself.
    if (isAppError(error, 'not-found')) return false;
    throw error;
  }
  // Only a campaign about to start: a redelivered CampaignDue of a running one changes nothing.
  if (!campaign.template || campaign.status !== 'queued') return false;
  const numbers = connectionIdsOf(campaign);
  const problems: FieldProblem[] = [];
  let refusing: string | null = null;
  for (const [index, connectionId] of numbers.entries()) {
    const where = numbers.length > 1 ? `connectionIds.${index}` : null;
    const found = await unusableOn(deps, campaign, connectionId, logger);
    if (found.length > 0) refusing ??= connectionId;
    for (const problem of found)
      problems.push(where ? { field: where, message: `${problem.field} ${problem.message}` } : problem);
  }
  if (problems.length === 0) return false;
  // The same text as the 400 of /start and /resume (`<field> <message>; …`).
  const reason = new TemplateCampaignError(problems).message;
  return pauseForTemplate(deps, cause, { campaignId, connectionId: refusing! }, reason, logger.child({ when: 'due' }));
}

/** Why the campaign's template cannot be sent from this number now (none: it can, or it cannot be told). */
async function unusableOn(
  deps: TemplateDeps,
  campaign: CampaignDoc,
  connectionId: string,
  logger: Logger,
): Promise<FieldProblem[]> {
  const template = campaign.template!;
  let templates: Awaited<ReturnType<typeof templateCatalogue>>;
  try {
    // A maximum age of 0: read from the provider now, or the stored catalogue when it cannot be read.
    templates = await templateCatalogue({ ...deps, templateMaxAgeMs: 0 }, connectionId);
  } catch (error) {
    // A number gone since: processing goes on as it would without the check (dispatch deals with it).
    if (error instanceof UnknownConnectionError) return [];
    if (!(error instanceof TemplatesUnavailableError)) throw error;
    if (error.code && NO_TEMPLATES.has(error.code)) return [{ field: 'connectionId', message: error.message }];
    logger.warn('template not checked when due: the catalogue cannot be read and none is stored', {
      connectionId,
      error: error.message,
    });
    return [];
  }
  if (templates.lastError)
    logger.warn('template checked when due against the stored catalogue: the provider could not be read', {
      connectionId,
      fetchedAt: templates.fetchedAt?.toISOString() ?? null,
      error: templates.lastError,
    });
  const found = findTemplate(templates.templates, template);
  if ('problem' in found) return [found.problem];
  return checkMapping(templateShape(found.template), template);
}
