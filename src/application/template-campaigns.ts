import { Types } from 'mongoose';
import { canApply } from '../domain/campaigns/campaign-status';
import { isAppError } from '../domain/errors';
import type { Cause } from '../domain/events/envelope';
import {
  type CampaignTemplate,
  type CatalogTemplate,
  checkMapping,
  customPlaceholders,
  type FieldProblem,
  findTemplate,
  type TemplateMapping,
  templateShape,
} from '../domain/whatsapp/templates';
import { type CampaignDoc, connectionIdsOf } from '../infrastructure/mongo/models/campaign';
import type { Logger } from '../infrastructure/observability/logger';
import { pauseCampaign } from './campaigns/campaign-controls';
import type { CampaignService } from './campaigns/campaign-service';
import type { PipelineDeps } from './pipeline-deps';
import {
  markTemplatesStale,
  refreshTemplates,
  type TemplateDeps,
  TemplatesUnavailableError,
  templateCatalogue,
} from './templates/template-catalogue';

/** A template campaign that cannot be sent as asked; each problem names the field (`template.components.body.2`). */
export class TemplateCampaignError extends Error {
  override name = 'TemplateCampaignError';
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((problem) => `${problem.field} ${problem.message}`).join('; '));
  }
}

/** The numbers a template campaign sends from, as its body names them: one (`connectionId`) or several. */
export interface TemplateCampaignInput {
  companyId: string;
  /** The campaign's numbers, in order (the first is its `connectionId`). */
  connectionIds: string[];
  listId: string;
  template: TemplateMapping;
}

/**
 * Checks a template campaign against the catalogue of EVERY number it sends from, and its list: the
 * template exists in that language and is APPROVED on each, every slot is filled, no slot is
 * invented, and every contact placeholder is a field at least one member of the list has. Returns
 * the mapping with the (first number's) template shape, which is what preparation renders from.
 *
 * With several numbers, a number whose catalogue lacks the template (or the language, or has it
 * not approved) is named by its place: `connectionIds.1`; slot problems keep their slot's field.
 */
export async function checkTemplateCampaign(
  deps: TemplateDeps,
  campaign: TemplateCampaignInput,
): Promise<CampaignTemplate> {
  const several = campaign.connectionIds.length > 1;
  const problems: FieldProblem[] = [];
  let checked: CampaignTemplate | null = null;
  for (const [index, connectionId] of campaign.connectionIds.entries()) {
    const where = `connectionIds.${index}`;
    try {
      const template = await checkOnNumber(deps, { ...campaign, connectionId });
      checked ??= template;
    } catch (error) {
      if (error instanceof TemplatesUnavailableError && several)
        throw new TemplatesUnavailableError(error.message, error.code, where);
      if (!(error instanceof TemplateCampaignError)) throw error;
      for (const problem of error.problems) {
        // The same slot problem on every number (a shared catalogue, or the list) is said once.
        if (problems.some((seen) => seen.field === problem.field && seen.message.startsWith(problem.message))) continue;
        const onTheNumber = problem.field === 'template.name' || problem.field === 'template.language';
        if (!several) problems.push(problem);
        else if (onTheNumber) problems.push({ field: where, message: problem.message });
        else
          problems.push(index === 0 ? problem : { field: problem.field, message: `${problem.message} (on ${where})` });
      }
    }
  }
  if (problems.length > 0) throw new TemplateCampaignError(problems);
  return checked!;
}

/** One number's check (see checkTemplateCampaign). */
async function checkOnNumber(
  deps: TemplateDeps,
  campaign: { companyId: string; connectionId: string; listId: string; template: TemplateMapping },
): Promise<CampaignTemplate> {
  const catalogue = await templateCatalogue(deps, campaign.connectionId);
  try {
    return await checkAgainst(deps, catalogue.templates, campaign);
  } catch (error) {
    // The stored catalogue may be behind the provider (a template approved again since): ask once more.
    if (!(error instanceof TemplateCampaignError) || catalogue.justRead) throw error;
    const current = await refreshTemplates(deps, campaign.connectionId).catch(() => null);
    if (!current) throw error;
    return checkAgainst(deps, current.templates, campaign);
  }
}

async function checkAgainst(
  deps: TemplateDeps,
  templates: CatalogTemplate[],
  campaign: { companyId: string; connectionId: string; listId: string; template: TemplateMapping },
): Promise<CampaignTemplate> {
  const found = findTemplate(templates, campaign.template);
  if ('problem' in found) throw new TemplateCampaignError([found.problem]);
  const shape = templateShape(found.template);
  const problems = checkMapping(shape, campaign.template);
  const placeholders = customPlaceholders(campaign.template);
  const distinct = [...new Set(placeholders.map((used) => used.placeholder))];
  const present = await Promise.all(
    distinct.map(async (field) => ({
      field,
      present: Boolean(
        await deps.models.Contact.exists({
          companyId: new Types.ObjectId(campaign.companyId),
          listIds: new Types.ObjectId(campaign.listId),
          [`fields.${field}`]: { $exists: true },
        }),
      ),
    })),
  );
  const missing = new Set(present.filter((entry) => !entry.present).map((entry) => entry.field));
  for (const used of placeholders)
    if (missing.has(used.placeholder))
      problems.push({
        field: used.field,
        message: `{${used.placeholder}} is not a field of any contact in the list`,
      });
  if (problems.length > 0) throw new TemplateCampaignError(problems);
  return { ...campaign.template, category: found.template.category, shape };
}

/**
 * Before a template campaign starts or resumes: checks it again against the catalogue (the
 * template may have been paused, or changed, since) and keeps the shape it will be sent with
 * (CampaignService.refreshTemplate). A text campaign passes untouched.
 */
export async function recheckTemplateCampaign(
  deps: TemplateDeps,
  campaigns: Pick<CampaignService, 'find' | 'refreshTemplate'>,
  companyId: string,
  campaignId: string,
): Promise<void> {
  let campaign: CampaignDoc;
  try {
    campaign = await campaigns.find(companyId, campaignId);
  } catch (error) {
    // No such campaign: the command itself answers 404.
    if (isAppError(error, 'not-found')) return;
    throw error;
  }
  // Only before it may start or resume: the command itself answers 409 for any other status.
  if (!campaign.template || !canApply('refreshTemplate', campaign.status)) return;
  const { name, language, components, headerMediaUrl, fallbacks } = campaign.template;
  const template = await checkTemplateCampaign(deps, {
    companyId,
    connectionIds: connectionIdsOf(campaign),
    listId: String(campaign.listId),
    template: { name, language, components, headerMediaUrl, fallbacks },
  });
  await campaigns.refreshTemplate(companyId, campaignId, template);
}

/**
 * The provider refused the campaign's template itself (paused, disabled, gone, changed): the
 * campaign pauses with the reason, instead of failing every remaining contact, and the connection's
 * catalogue is read again before the campaign may resume. Returns whether this call paused it.
 */
export async function pauseForTemplate(
  deps: PipelineDeps,
  cause: Cause,
  campaign: { campaignId: string; connectionId: string },
  reason: string,
  logger: Logger = deps.logger,
): Promise<boolean> {
  await markTemplatesStale(deps, campaign.connectionId);
  try {
    await pauseCampaign(deps, cause, campaign.campaignId, reason);
  } catch (error) {
    // Paused, cancelled or finished meanwhile (another send hit the same error first).
    if (isAppError(error, 'conflict') || isAppError(error, 'not-found')) return false;
    throw error;
  }
  logger.warn('campaign paused: the provider refused its template', { ...campaign, reason });
  return true;
}
