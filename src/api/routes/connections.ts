import {
  connectConnection,
  createConnection,
  disconnectConnection,
  findConnection as findOwnConnection,
  throughputSetting,
  updateConnection,
} from '../../application/connections/connection-service';
import { startWhatsAppWebPairing } from '../../application/connections/whatsapp-web-pairing';
import { readsOf } from '../../application/service-registry';
import { refreshTemplates, templateCatalogue } from '../../application/templates/template-catalogue';
import { capSettingsFrom } from '../../domain/pacing/daily-cap';
import { type ApiContext, causeOf } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { connectionView, pageView, templateCatalogueView } from '../presenters';
import { HttpProblem } from '../problem';
import { ConnectionList, ConnectionStatusView, ConnectionView, TemplateCatalogueView } from '../responses';
import { CloudApiInput, CreateConnectionBody, IdParams, PageQuery, UpdateConnectionBody } from '../schemas';
import { answeringTemplateProblems } from '../template-problems';
import { fieldErrors } from '../validation';

const TAG = 'Connections';
const notFound = { 404: 'no such connection (or another company’s)' };
const timestamp = (ms: number | null | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);

export function connectionRoutes(api: ApiRouter, { pipeline, templates }: ApiContext): void {
  const reads = readsOf(pipeline);
  const findConnection = (companyId: string, id: string) => findOwnConnection(pipeline, companyId, id);

  api.define(
    {
      method: 'post',
      path: '/v1/connections',
      tag: TAG,
      access: 'company',
      summary:
        'Add a WhatsApp number (sandbox, Cloud API, or WhatsApp Web to pair by QR); its first contact sync starts',
      description:
        'A `whatsapp-web` connection starts in `pairing`: its QR is at GET /v1/connections/:id/pairing (and the page /connections/pair#id=<id>&key=<API key>) until the phone links it; then it is `connected` and its contacts sync.',
      body: CreateConnectionBody,
      responses: { 201: { description: 'the connection', schema: ConnectionView } },
    },
    async (ctx, { body }) => {
      if (body.gateway === 'whatsapp-web') {
        // Created in `pairing`: its QR is shown until the phone links it.
        const pairing = await startWhatsAppWebPairing(pipeline, companyOf(ctx), body.name);
        ctx.status = 201;
        ctx.set('location', `/v1/connections/${String(pairing._id)}`);
        ctx.body = connectionView(pairing);
        return;
      }
      // A new connection is connected: its first contact sync starts now.
      const connection = await createConnection(pipeline, causeOf(ctx), {
        name: body.name,
        gateway: body.gateway,
        sandbox: body.sandbox,
        cloudApi: body.cloudApi ?? null,
        throughputPerSec: body.throughputPerSec,
      });
      ctx.status = 201;
      ctx.set('location', `/v1/connections/${String(connection._id)}`);
      ctx.body = connectionView(connection);
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/connections',
      tag: TAG,
      access: 'company',
      summary: 'List the company’s WhatsApp numbers, newest first',
      query: PageQuery,
      responses: { 200: { description: 'a page of connections', schema: ConnectionList } },
    },
    async (ctx, { query }) => {
      ctx.body = pageView(await reads.connections(companyOf(ctx), query), connectionView);
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/connections/:id',
      tag: TAG,
      access: 'company',
      summary: 'Get a connection (secrets shown by their last characters only)',
      params: IdParams,
      responses: { 200: { description: 'the connection', schema: ConnectionView }, ...notFound },
    },
    async (ctx, { params }) => {
      ctx.body = connectionView(await findConnection(companyOf(ctx), params.id));
    },
  );

  /**
   * Switches the gateway or changes settings (cloudApi fields merge into the stored ones), or lifts
   * a halt with `status: "connected"`; the next send uses the new settings. Paused campaigns are
   * resumed separately (POST /v1/campaigns/:id/resume).
   */
  api.define(
    {
      method: 'patch',
      path: '/v1/connections/:id',
      tag: TAG,
      access: 'company',
      summary: 'Change a connection’s name, gateway or settings (throughput, daily cap), or lift a halt',
      params: IdParams,
      body: UpdateConnectionBody,
      responses: { 200: { description: 'the connection', schema: ConnectionView }, ...notFound },
    },
    async (ctx, { params, body }) => {
      const companyId = companyOf(ctx);
      const current = await findConnection(companyId, params.id);
      if (current.gateway === 'whatsapp-web' && (body.gateway || body.status))
        throw new HttpProblem(
          409,
          'Conflict',
          'a whatsapp-web number changes state by pairing: POST /v1/connections/:id/connect or /disconnect',
        );
      const cloudApi =
        body.cloudApi || body.gateway === 'cloud-api'
          ? CloudApiInput.safeParse({ ...current.cloudApi, ...body.cloudApi })
          : null;
      if (cloudApi && !cloudApi.success)
        throw new HttpProblem(
          400,
          'Bad Request',
          'the request body is invalid',
          fieldErrors(cloudApi.error, 'body.cloudApi'),
        );
      const gateway = body.gateway ?? current.gateway;
      const throughputPerSec = throughputSetting(gateway, current.throughputPerSec, body.throughputPerSec);
      const set: Record<string, unknown> = {
        ...(body.name ? { name: body.name } : {}),
        ...(body.gateway ? { gateway: body.gateway } : {}),
        ...(body.sandbox ? { sandbox: { ...current.sandbox, ...body.sandbox } } : {}),
        ...(cloudApi?.success ? { cloudApi: cloudApi.data } : {}),
        ...(body.dailyCap !== undefined ? { dailyCap: capSettingsFrom(body.dailyCap) } : {}),
        ...(throughputPerSec !== (current.throughputPerSec ?? null) ? { throughputPerSec } : {}),
      };
      ctx.body = connectionView(await updateConnection(pipeline, current, set, body.status === 'connected'));
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/connections/:id/connect',
      tag: TAG,
      access: 'company',
      summary: 'Connect a disconnected (or halted) number; a contact sync starts',
      description: 'Campaigns paused by the disconnect stay paused until resumed.',
      params: IdParams,
      responses: {
        202: { description: 'the connection', schema: ConnectionView },
        ...notFound,
        409: 'the number is connected already',
      },
    },
    async (ctx, { params }) => {
      const connection = await connectConnection(pipeline, causeOf(ctx), params.id);
      ctx.status = 202;
      ctx.body = connectionView(connection);
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/connections/:id/disconnect',
      tag: TAG,
      access: 'company',
      summary: 'Disconnect a number: nothing is sent on it, its campaigns are paused',
      description:
        'A whatsapp-web number is also logged out (the device unlinked) and its session deleted; connecting it again shows a new QR.',
      params: IdParams,
      responses: {
        202: {
          description: 'the connection and how many campaigns were paused',
          schema: ConnectionView.extend({ pausedCampaigns: ConnectionStatusView.shape.activeCampaigns }),
        },
        ...notFound,
        409: 'the number is disconnected already',
      },
    },
    async (ctx, { params }) => {
      const { connection, pausedCampaigns } = await disconnectConnection(pipeline, causeOf(ctx), params.id);
      ctx.status = 202;
      ctx.body = { ...connectionView(connection), pausedCampaigns };
    },
  );

  api.define(
    {
      method: 'get',
      path: '/v1/connections/:id/status',
      tag: TAG,
      access: 'company',
      summary: 'Status of a number: connected/disconnected/halted, its lane’s last send, active campaigns, last sync',
      params: IdParams,
      responses: { 200: { description: 'the status', schema: ConnectionStatusView }, ...notFound },
    },
    async (ctx, { params }) => {
      const connection = await findConnection(companyOf(ctx), params.id);
      const { lane, activeCampaigns, lastSync } = await reads.connectionActivity(connection._id);
      ctx.body = {
        id: String(connection._id),
        status: connection.status,
        haltedReason: connection.haltedReason ?? null,
        lane: {
          lastSentAt: timestamp(lane?.sent?.lastSentAt),
          runLength: lane?.sent?.runLength ?? 0,
          coolDownUntil: timestamp(lane?.coolDownUntil),
        },
        activeCampaigns,
        lastSync: lastSync
          ? {
              id: lastSync._id,
              status: lastSync.status,
              startedAt: lastSync.startedAt,
              finishedAt: lastSync.finishedAt,
            }
          : null,
      };
    },
  );

  const templatesUnconfigured = { status: 409 as const, field: 'cloudApi.wabaId' };
  const templateResponses = {
    200: { description: 'the templates', schema: TemplateCatalogueView },
    ...notFound,
    409: 'a Cloud API connection without cloudApi.wabaId',
    502: 'the provider could not be asked, and no templates are stored',
  };

  api.define(
    {
      method: 'get',
      path: '/v1/connections/:id/templates',
      tag: TAG,
      access: 'company',
      summary: 'The number’s message templates (read again from the provider when older than TEMPLATE_REFRESH_MS)',
      description:
        'Each template with its status and the slots a template campaign must fill (body.1, header.1, buttons.0 …). A sandbox number has a small built-in catalogue.',
      params: IdParams,
      responses: templateResponses,
    },
    async (ctx, { params }) => {
      const connection = await findConnection(companyOf(ctx), params.id);
      const catalogue = await answeringTemplateProblems(
        'body',
        () => templateCatalogue(templates, String(connection._id)),
        templatesUnconfigured,
      );
      ctx.body = templateCatalogueView(catalogue);
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/connections/:id/templates/refresh',
      tag: TAG,
      access: 'company',
      summary: 'Read the number’s message templates from the provider now',
      params: IdParams,
      responses: templateResponses,
    },
    async (ctx, { params }) => {
      const connection = await findConnection(companyOf(ctx), params.id);
      const catalogue = await answeringTemplateProblems(
        'body',
        () => refreshTemplates(templates, String(connection._id)),
        templatesUnconfigured,
      );
      ctx.body = templateCatalogueView(catalogue);
    },
  );
}
