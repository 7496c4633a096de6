import {
  cancelCampaign,
  createCampaign,
  deleteDraft,
  pauseCampaign,
  resumeCampaign,
  scheduleCampaign,
  startCampaign,
  updateCampaign,
} from '../../application/campaigns/campaign-controls';
import { sendingSpanOf, waitingOf } from '../../application/campaigns/campaign-progress';
import { assertConnectionUsable } from '../../application/connections/connection-service';
import type { PipelineDeps } from '../../application/pipeline-deps';
import { connectionIdsOf } from '../../application/queries/read-models';
import { campaignsOf, readsOf } from '../../application/service-registry';
import { checkTemplateCampaign, recheckTemplateCampaign } from '../../application/template-campaigns';
import { deliveryRates, pendingOf, sendsPerMinute } from '../../domain/campaigns/campaign-progress';
import type { Cause } from '../../domain/events/envelope';
import { IDLE_LANE } from '../../domain/pacing/pacing-rule';
import { DEFAULT_PACING, effectivePacing } from '../../domain/pacing/pacing-settings';
import { estimateFinish } from '../../domain/pacing/send-planner';
import { pacingWithThroughput } from '../../domain/pacing/send-window';
import { effectiveWindow } from '../../domain/pacing/sending-window';
import type { TemplateMapping } from '../../domain/whatsapp/templates';
import { type ApiContext, causeOf } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { campaignView, pageView, shippingView } from '../presenters';
import { HttpProblem } from '../problem';
import { CampaignList, CampaignProgress, CampaignView, ShippingList } from '../responses';
import {
  CampaignsQuery,
  CreateCampaignBody,
  IdParams,
  pacingToMs,
  ScheduleBody,
  ShippingsQuery,
  UpdateCampaignBody,
} from '../schemas';
import { answeringTemplateProblems } from '../template-problems';

type Command = (deps: PipelineDeps, cause: Cause, campaignId: string) => Promise<void>;

const TAG = 'Campaigns';
const notFound = { 404: 'no such campaign (or another company’s)' };
const refused = { 409: 'the campaign’s status does not allow this (e.g. resume a cancelled campaign)' };

export function campaignRoutes(api: ApiRouter, { pipeline, caches, templates }: ApiContext): void {
  const reads = readsOf(pipeline);
  const findCampaign = (companyId: string, id: string) => reads.campaign(companyId, id);

  /** The connections and list a campaign names must be the caller's: otherwise 400 naming the field. */
  const checkReferences = async (
    companyId: string,
    body: { connectionId?: string; connectionIds?: string[]; listId?: string },
  ) => {
    const [connection, connections, list] = await Promise.all([
      body.connectionId === undefined || reads.ownsConnection(companyId, body.connectionId),
      Promise.all((body.connectionIds ?? []).map((id) => reads.ownsConnection(companyId, id))),
      body.listId === undefined || reads.ownsList(companyId, body.listId),
    ]);
    const errors = [
      ...(connection ? [] : [{ field: 'body.connectionId', message: 'no such connection' }]),
      ...connections.flatMap((owned, i) =>
        owned ? [] : [{ field: `body.connectionIds.${i}`, message: 'no such connection' }],
      ),
      ...(list ? [] : [{ field: 'body.listId', message: 'no such contact list' }]),
    ];
    if (errors.length > 0) throw new HttpProblem(400, 'Bad Request', 'the request body is invalid', errors);
  };

  /** A template campaign checked against its connection's catalogue and its list; 400 naming each bad slot. */
  const checkTemplate = (
    companyId: string,
    campaign: { connectionIds: string[]; listId: string; template: TemplateMapping },
  ) => answeringTemplateProblems('body', () => checkTemplateCampaign(templates, { companyId, ...campaign }));

  /** Before a template campaign starts or resumes, it is checked again (the template may be paused since). */
  const recheckTemplate = (companyId: string, campaignId: string) =>
    answeringTemplateProblems('campaign', () =>
      recheckTemplateCampaign(templates, campaignsOf(pipeline), companyId, campaignId),
    );

  api.define(
    {
      method: 'post',
      path: '/v1/campaigns',
      tag: TAG,
      access: 'company',
      summary: 'Create a campaign (a draft, or scheduled when scheduledAt is given)',
      body: CreateCampaignBody,
      responses: { 201: { description: 'the campaign', schema: CampaignView } },
    },
    async (ctx, { body }) => {
      const companyId = companyOf(ctx);
      await checkReferences(companyId, body);
      const connectionIds = body.connectionIds ?? [body.connectionId!];
      const template = body.template
        ? await checkTemplate(companyId, {
            connectionIds,
            listId: body.listId,
            template: body.template,
          })
        : null;
      const campaign = await createCampaign(
        pipeline,
        causeOf(ctx),
        {
          name: body.name,
          connectionId: connectionIds[0]!,
          ...(connectionIds.length > 1 ? { connectionIds } : {}),
          listId: body.listId,
          variants: body.variants ?? [],
          template,
          mediaUrl: body.mediaUrl ?? null,
          pacing: pacingToMs(body.pacing) ?? null,
          sendingWindows: body.sendingWindows ?? null,
        },
        body.scheduledAt ? new Date(body.scheduledAt) : undefined,
      );
      ctx.status = 201;
      ctx.set('location', `/v1/campaigns/${String(campaign._id)}`);
      ctx.body = campaignView(campaign);
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/campaigns',
      tag: TAG,
      access: 'company',
      summary: 'List campaigns, newest first',
      query: CampaignsQuery,
      responses: { 200: { description: 'a page of campaigns', schema: CampaignList } },
    },
    async (ctx, { query }) => {
      ctx.body = pageView(await reads.campaigns(companyOf(ctx), query.status, query), campaignView);
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/campaigns/:id',
      tag: TAG,
      access: 'company',
      summary: 'Get a campaign',
      params: IdParams,
      responses: { 200: { description: 'the campaign', schema: CampaignView }, ...notFound },
    },
    async (ctx, { params }) => {
      ctx.body = campaignView(await findCampaign(companyOf(ctx), params.id));
    },
  );

  api.define(
    {
      method: 'patch',
      path: '/v1/campaigns/:id',
      tag: TAG,
      access: 'company',
      summary: 'Change a draft or scheduled campaign (a new scheduledAt moves its schedule)',
      params: IdParams,
      body: UpdateCampaignBody,
      responses: { 200: { description: 'the campaign', schema: CampaignView }, ...notFound, ...refused },
    },
    async (ctx, { params, body }) => {
      const companyId = companyOf(ctx);
      const current = await findCampaign(companyId, params.id);
      await checkReferences(companyId, body);
      // A template (new, or kept on a new connection or list) is checked against what it will be sent with.
      const mapping = body.template ?? (body.variants ? undefined : current.template);
      const template =
        mapping && (body.template || body.connectionId || body.connectionIds || body.listId)
          ? await checkTemplate(companyId, {
              // Every number it will send from: the new ones, the new one, or the ones it has.
              connectionIds: body.connectionIds ?? (body.connectionId ? [body.connectionId] : connectionIdsOf(current)),
              listId: body.listId ?? String(current.listId),
              template: {
                name: mapping.name,
                language: mapping.language,
                components: mapping.components,
                ...(mapping.headerMediaUrl ? { headerMediaUrl: mapping.headerMediaUrl } : {}),
                ...(mapping.fallbacks ? { fallbacks: mapping.fallbacks } : {}),
              },
            })
          : undefined;
      if (current.template && body.mediaUrl && !body.variants)
        throw new HttpProblem(400, 'Bad Request', 'the request body is invalid', [
          { field: 'body.mediaUrl', message: 'a template campaign’s media is its header: use template.headerMediaUrl' },
        ]);
      const changes = {
        name: body.name,
        // One number replaces several; several replace one (the first is the campaign's connectionId).
        connectionId: body.connectionIds?.[0] ?? body.connectionId,
        connectionIds: body.connectionIds
          ? body.connectionIds.length > 1
            ? body.connectionIds
            : null
          : body.connectionId
            ? null
            : undefined,
        listId: body.listId,
        // Switching between variants and a template clears the other.
        variants: body.variants ?? (body.template ? [] : undefined),
        template: template ?? (body.variants ? null : undefined),
        mediaUrl: body.mediaUrl ?? (body.template ? null : undefined),
        pacing: body.pacing ? pacingToMs(body.pacing) : undefined,
        sendingWindows: body.sendingWindows,
      };
      await updateCampaign(
        pipeline,
        causeOf(ctx),
        params.id,
        changes,
        body.scheduledAt ? new Date(body.scheduledAt) : undefined,
      );
      ctx.body = campaignView(await findCampaign(companyId, params.id));
    },
  );

  api.define(
    {
      method: 'delete',
      path: '/v1/campaigns/:id',
      tag: TAG,
      access: 'company',
      summary: 'Delete a draft',
      params: IdParams,
      responses: { 204: 'deleted', ...notFound, 409: 'only drafts can be deleted (cancel the others)' },
    },
    async (ctx, { params }) => {
      await findCampaign(companyOf(ctx), params.id);
      await deleteDraft(pipeline, causeOf(ctx), params.id);
      ctx.status = 204;
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/campaigns/:id/schedule',
      tag: TAG,
      access: 'company',
      summary: 'Schedule a draft, or move a schedule',
      params: IdParams,
      body: ScheduleBody,
      responses: { 202: { description: 'the campaign', schema: CampaignView }, ...notFound, ...refused },
    },
    async (ctx, { params, body }) => {
      await findCampaign(companyOf(ctx), params.id);
      await scheduleCampaign(pipeline, causeOf(ctx), params.id, new Date(body.scheduledAt));
      ctx.status = 202;
      ctx.body = campaignView(await findCampaign(companyOf(ctx), params.id));
    },
  );

  const command = (path: string, summary: string, run: Command) =>
    api.define(
      {
        method: 'post',
        path: `/v1/campaigns/:id/${path}`,
        tag: TAG,
        access: 'company',
        summary,
        params: IdParams,
        responses: { 202: { description: 'the campaign', schema: CampaignView }, ...notFound, ...refused },
      },
      async (ctx, { params }) => {
        await findCampaign(companyOf(ctx), params.id);
        await run(pipeline, causeOf(ctx), params.id);
        ctx.status = 202;
        ctx.body = campaignView(await findCampaign(companyOf(ctx), params.id));
      },
    );
  command('start', 'Start now (a draft or scheduled campaign)', async (deps, cause, campaignId) => {
    await assertConnectionUsable(deps, cause.companyId, campaignId);
    await recheckTemplate(cause.companyId, campaignId);
    await startCampaign(deps, cause, campaignId);
  });
  command('pause', 'Pause at the next send', pauseCampaign);
  command('resume', 'Resume a paused campaign where it stopped', async (deps, cause, campaignId) => {
    await assertConnectionUsable(deps, cause.companyId, campaignId);
    await recheckTemplate(cause.companyId, campaignId);
    await resumeCampaign(deps, cause, campaignId);
  });
  command('cancel', 'Cancel: nothing more is sent', cancelCampaign);

  /** Progress from the campaign's counters and the number's lane state: no scan of shippings. */
  api.define(
    {
      method: 'get',
      path: '/v1/campaigns/:id/progress',
      tag: TAG,
      access: 'company',
      summary: 'Progress: counts by shipping status, sends per minute, estimated finish',
      description:
        'Read from the campaign’s counters and its number’s lane state (lookups by id; the company’s pacing and the lane’s last send are remembered briefly): never a scan of shippings.',
      params: IdParams,
      responses: { 200: { description: 'the progress', schema: CampaignProgress }, ...notFound },
    },
    async (ctx, { params }) => {
      const companyId = companyOf(ctx);
      const campaign = await reads.campaign(companyId, params.id, {
        status: 1,
        pausedReason: 1,
        template: 1,
        counters: 1,
        startedAt: 1,
        lastActivityAt: 1,
        completedAt: 1,
        connectionId: 1,
        pacing: 1,
        autoPaused: 1,
        sendingWindows: 1,
        companyId: 1,
        connectionIds: 1,
      });
      const now = Date.now();
      const running = campaign.status === 'running' && pendingOf(campaign.counters) > 0;
      const [pacing, zoned, lane, capView, throughputPerSec] = await Promise.all([
        caches.pacing.get(companyId, () => reads.companyPacing(companyId)),
        reads.companyWindows(companyId),
        campaign.status === 'running'
          ? caches.lanes.get(String(campaign.connectionId), () => reads.laneSent(campaign.connectionId))
          : null,
        running ? reads.capView(campaign, now) : null,
        reads.throughputOf(campaign.connectionId),
      ]);
      const { counters } = campaign;
      const pending = pendingOf(counters);
      // The number's provider throughput caps its pace too (a Cloud API number: 80/s by default).
      const settings = pacingWithThroughput(
        effectivePacing(pacing ?? DEFAULT_PACING, campaign.pacing ?? undefined),
        throughputPerSec,
      );
      const window = zoned ? effectiveWindow(zoned.timezone, zoned.sendingWindows, campaign.sendingWindows) : null;
      const limits = { window, cap: capView?.planCap ?? null, seed: String(campaign._id) };
      // Several numbers share the rest: the estimate is one lane's share at the first number's pace.
      const share = Math.ceil(pending / connectionIdsOf(campaign).length);
      const finish = running ? estimateFinish(settings, lane ?? IDLE_LANE, now, share, 10_000, limits) : null;
      const waiting = running
        ? waitingOf(window, capView, now)
        : { waitingFor: null, nextOpeningAt: null, capFreesAt: null };
      ctx.body = {
        campaignId: String(campaign._id),
        status: campaign.status,
        pausedReason: campaign.pausedReason ?? null,
        template: campaign.template ? { name: campaign.template.name, language: campaign.template.language } : null,
        counters,
        pending,
        sentPerMinute: sendsPerMinute(sendingSpanOf(campaign), now),
        ...deliveryRates(counters),
        autoPaused: campaign.autoPaused ?? null,
        estimatedFinishAt: finish === null ? null : new Date(finish).toISOString(),
        ...waiting,
        connectionIds: connectionIdsOf(campaign),
        throughputPerSec,
      };
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/campaigns/:id/shippings',
      tag: TAG,
      access: 'company',
      summary: 'The campaign’s shippings (one per contact), optionally by status',
      params: IdParams,
      query: ShippingsQuery,
      responses: { 200: { description: 'a page of shippings', schema: ShippingList }, ...notFound },
    },
    async (ctx, { params, query }) => {
      const campaign = await findCampaign(companyOf(ctx), params.id);
      ctx.body = pageView(await reads.shippings(campaign._id, query.status, query), shippingView);
    },
  );
}
