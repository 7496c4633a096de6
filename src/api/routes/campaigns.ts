import Router from '@koa/router';
import { cancelCampaign, CampaignNotFoundError, CampaignStateError, deleteDraft, pauseCampaign, resumeCampaign, scheduleCampaign, startCampaign } from '../../application/campaign-controls';
import { assertConnectionUsable, ConnectionHaltedError } from '../../application/connection-halt';
import type { Cause } from '../../domain/events/envelope';
import { IDLE_LANE } from '../../domain/pacing/pacing-rule';
import { effectivePacing } from '../../domain/pacing/pacing-settings';
import { estimateFinish } from '../../domain/pacing/send-planner';
import type { PipelineDeps } from '../../application/pipeline-deps';
import { type ApiContext, causeOf } from '../api-context';
import { companyOf } from '../auth';
import { campaignView, shippingView } from '../presenters';
import { HttpProblem } from '../problem';
import { CreateCampaignBody, pacingToMs, ScheduleBody, ShippingsQuery } from '../schemas';
import { pathId, validate } from '../validation';

type Command = (deps: PipelineDeps, cause: Cause, campaignId: string) => Promise<void>;

export function campaignRoutes({ pipeline }: ApiContext): Router {
  const { Campaign, Connection, ContactList, Company, Shipping, Lane } = pipeline.models;
  const router = new Router();

  const findCampaign = async (companyId: string, id: string | undefined) => {
    const campaign = await Campaign.findOne({ _id: pathId(id, 'campaign'), companyId }).lean();
    if (!campaign) throw new HttpProblem(404, 'Not Found', 'no such campaign');
    return campaign;
  };

  /** Runs a state change; a change the status does not allow answers 409. */
  const command = (path: string, run: Command) =>
    router.post(`/v1/campaigns/:id/${path}`, async (ctx) => {
      const campaignId = pathId(ctx.params.id, 'campaign');
      try {
        await run(pipeline, causeOf(ctx), campaignId);
      } catch (error) {
        if (error instanceof CampaignNotFoundError) throw new HttpProblem(404, 'Not Found', 'no such campaign');
        if (error instanceof CampaignStateError || error instanceof ConnectionHaltedError) throw new HttpProblem(409, 'Conflict', error.message);
        throw error;
      }
      ctx.status = 202;
      ctx.body = campaignView(await findCampaign(companyOf(ctx), campaignId));
    });

  router.post('/v1/campaigns', async (ctx) => {
    const companyId = companyOf(ctx);
    const body = validate(CreateCampaignBody, ctx.request.body, 'body');
    const [connection, list] = await Promise.all([
      Connection.findOne({ _id: body.connectionId, companyId }, { _id: 1 }).lean(),
      ContactList.findOne({ _id: body.listId, companyId }, { _id: 1 }).lean(),
    ]);
    const errors = [
      ...(connection ? [] : [{ field: 'body.connectionId', message: 'no such connection' }]),
      ...(list ? [] : [{ field: 'body.listId', message: 'no such contact list' }]),
    ];
    if (errors.length > 0) throw new HttpProblem(400, 'Bad Request', 'the request body is invalid', errors);
    const campaign = await Campaign.create({
      companyId,
      name: body.name,
      connectionId: body.connectionId,
      listId: body.listId,
      variants: body.variants,
      mediaUrl: body.mediaUrl ?? null,
      pacing: pacingToMs(body.pacing) ?? null,
      status: 'draft',
    });
    if (body.scheduledAt) await scheduleCampaign(pipeline, causeOf(ctx), String(campaign._id), new Date(body.scheduledAt));
    ctx.status = 201;
    ctx.body = campaignView(await findCampaign(companyId, String(campaign._id)));
  });

  router.get('/v1/campaigns/:id', async (ctx) => {
    ctx.body = campaignView(await findCampaign(companyOf(ctx), ctx.params.id));
  });

  router.delete('/v1/campaigns/:id', async (ctx) => {
    const campaignId = pathId(ctx.params.id, 'campaign');
    try {
      await deleteDraft(pipeline, causeOf(ctx), campaignId);
    } catch (error) {
      if (error instanceof CampaignNotFoundError) throw new HttpProblem(404, 'Not Found', 'no such campaign');
      if (error instanceof CampaignStateError) throw new HttpProblem(409, 'Conflict', error.message);
      throw error;
    }
    ctx.status = 204;
  });

  router.post('/v1/campaigns/:id/schedule', async (ctx) => {
    const body = validate(ScheduleBody, ctx.request.body, 'body');
    const campaignId = pathId(ctx.params.id, 'campaign');
    try {
      await scheduleCampaign(pipeline, causeOf(ctx), campaignId, new Date(body.scheduledAt));
    } catch (error) {
      if (error instanceof CampaignNotFoundError) throw new HttpProblem(404, 'Not Found', 'no such campaign');
      if (error instanceof CampaignStateError) throw new HttpProblem(409, 'Conflict', error.message);
      throw error;
    }
    ctx.status = 202;
    ctx.body = campaignView(await findCampaign(companyOf(ctx), campaignId));
  });
  command('start', startCampaign);
  command('pause', pauseCampaign);
  command('resume', async (deps, cause, campaignId) => {
    await assertConnectionUsable(deps, cause.companyId, campaignId);
    await resumeCampaign(deps, cause, campaignId);
  });
  command('cancel', cancelCampaign);

  /** Progress from the campaign's counters and the number's lane state: no scan of shippings. */
  router.get('/v1/campaigns/:id/progress', async (ctx) => {
    const companyId = companyOf(ctx);
    const campaign = await findCampaign(companyId, ctx.params.id);
    const [company, lane] = await Promise.all([Company.findById(companyId, { pacing: 1 }).lean(), Lane.findById(campaign.connectionId, { sent: 1 }).lean()]);
    const { counters } = campaign;
    const pending = Math.max(0, counters.audience - counters.missing - counters.sent - counters.failed - counters.cancelled);
    const now = Date.now();
    const minutes = campaign.startedAt ? Math.max((now - campaign.startedAt.getTime()) / 60_000, 1 / 60) : null;
    const settings = effectivePacing(company!.pacing, campaign.pacing ?? undefined);
    const finish = campaign.status === 'running' ? estimateFinish(settings, lane?.sent ?? IDLE_LANE, now, pending) : null;
    ctx.body = {
      campaignId: String(campaign._id),
      status: campaign.status,
      counters,
      pending,
      sentPerMinute: minutes === null ? 0 : Math.round((counters.sent / minutes) * 10) / 10,
      estimatedFinishAt: finish === null ? null : new Date(finish).toISOString(),
    };
  });

  router.get('/v1/campaigns/:id/shippings', async (ctx) => {
    const campaign = await findCampaign(companyOf(ctx), ctx.params.id);
    const query = validate(ShippingsQuery, ctx.query, 'query');
    const filter = { campaignId: campaign._id, ...(query.status ? { status: query.status } : {}) };
    const items = await Shipping.find(filter)
      .sort({ plannedAt: 1, _id: 1 })
      .skip((query.page - 1) * query.pageSize)
      .limit(query.pageSize)
      .lean();
    ctx.body = { page: query.page, pageSize: query.pageSize, items: items.map(shippingView) };
  });

  return router;
}
