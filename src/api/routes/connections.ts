import { Types } from 'mongoose';
import { publishEvent } from '../../../publishers/domain-event';
import { pauseCampaignsOf } from '../../application/connection-halt';
import { declareLane } from '../../application/pipeline-deps';
import { ConnectionConnected, ConnectionCreated } from '../../domain/events/contact-messages';
import type { ConnectionStatus } from '../../infrastructure/mongo/models/connection';
import { type ApiContext, causeOf } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { pageOf } from '../pagination';
import { connectionView } from '../presenters';
import { HttpProblem } from '../problem';
import { ConnectionList, ConnectionStatusView, ConnectionView } from '../responses';
import { CloudApiInput, CreateConnectionBody, IdParams, PageQuery, UpdateConnectionBody } from '../schemas';
import { findOwned } from '../tenant';
import { fieldErrors } from '../validation';

const TAG = 'Connections';
const notFound = { 404: 'no such connection (or another company’s)' };
const timestamp = (ms: number | null | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);

export function connectionRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const { Connection, Lane, Campaign, ContactSync } = pipeline.models;
  const findConnection = (companyId: string, id: string) => findOwned(Connection, id, companyId, 'connection');

  /** Moves the connection's status from the ones allowed, atomically; anything else is a 409. */
  const moveStatus = async (companyId: string, id: string, from: ConnectionStatus[], to: ConnectionStatus) => {
    const current = await findConnection(companyId, id);
    const updated = await Connection.findOneAndUpdate(
      { _id: current._id, status: { $in: from } },
      { $set: { status: to, ...(to === 'connected' ? { haltedReason: null, haltedAt: null } : {}) } },
      { returnDocument: 'after' },
    ).lean();
    if (!updated) throw new HttpProblem(409, 'Conflict', `the connection is ${current.status}`);
    return { before: current, after: updated };
  };

  api.define(
    {
      method: 'post',
      path: '/v1/connections',
      tag: TAG,
      access: 'company',
      summary: 'Add a WhatsApp number (sandbox or Cloud API); its first contact sync starts',
      body: CreateConnectionBody,
      responses: { 201: { description: 'the connection', schema: ConnectionView } },
    },
    async (ctx, { body }) => {
      const companyId = companyOf(ctx);
      const connection = await Connection.create({
        companyId,
        name: body.name,
        gateway: body.gateway,
        sandbox: body.sandbox,
        cloudApi: body.cloudApi ?? null,
      });
      await declareLane(pipeline, String(connection._id));
      await publishEvent(pipeline.publisher, ConnectionCreated, { connectionId: String(connection._id) }, causeOf(ctx));
      // A new connection is connected: its first contact sync starts now.
      await publishEvent(
        pipeline.publisher,
        ConnectionConnected,
        { connectionId: String(connection._id) },
        causeOf(ctx),
      );
      ctx.status = 201;
      ctx.set('location', `/v1/connections/${String(connection._id)}`);
      ctx.body = connectionView(connection.toObject());
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
      ctx.body = await pageOf(Connection, { companyId: new Types.ObjectId(companyOf(ctx)) }, query, connectionView);
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
      summary: 'Change a connection’s name, gateway or settings, or lift a halt',
      params: IdParams,
      body: UpdateConnectionBody,
      responses: { 200: { description: 'the connection', schema: ConnectionView }, ...notFound },
    },
    async (ctx, { params, body }) => {
      const companyId = companyOf(ctx);
      const current = await findConnection(companyId, params.id);
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
      const set: Record<string, unknown> = {
        ...(body.name ? { name: body.name } : {}),
        ...(body.gateway ? { gateway: body.gateway } : {}),
        ...(body.sandbox ? { sandbox: { ...current.sandbox, ...body.sandbox } } : {}),
        ...(cloudApi?.success ? { cloudApi: cloudApi.data } : {}),
        ...(body.status === 'connected' ? { status: 'connected', haltedReason: null, haltedAt: null } : {}),
      };
      const updated = await Connection.findOneAndUpdate(
        { _id: current._id },
        { $set: set },
        { returnDocument: 'after' },
      ).lean();
      if (!updated) throw new HttpProblem(404, 'Not Found', 'no such connection');
      if (body.status === 'connected' && current.status === 'halted') {
        pipeline.logger.warn('halted WhatsApp connection reconnected by an operator', {
          connectionId: String(updated._id),
          companyId,
          haltedReason: current.haltedReason,
        });
      }
      ctx.body = connectionView(updated);
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
      const { after } = await moveStatus(companyOf(ctx), params.id, ['disconnected', 'halted'], 'connected');
      await declareLane(pipeline, params.id);
      await publishEvent(pipeline.publisher, ConnectionConnected, { connectionId: params.id }, causeOf(ctx));
      ctx.status = 202;
      ctx.body = connectionView(after);
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/connections/:id/disconnect',
      tag: TAG,
      access: 'company',
      summary: 'Disconnect a number: nothing is sent on it, its campaigns are paused',
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
      const { after } = await moveStatus(companyOf(ctx), params.id, ['connected', 'halted'], 'disconnected');
      const pausedCampaigns = await pauseCampaignsOf(pipeline, params.id);
      pipeline.logger.info('WhatsApp connection disconnected', {
        connectionId: params.id,
        companyId: companyOf(ctx),
        pausedCampaigns,
      });
      ctx.status = 202;
      ctx.body = { ...connectionView(after), pausedCampaigns };
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
      const [lane, activeCampaigns, lastSync] = await Promise.all([
        Lane.findById(connection._id, { sent: 1, coolDownUntil: 1 }).lean(),
        Campaign.countDocuments({
          connectionId: connection._id,
          status: { $in: ['scheduled', 'queued', 'running', 'paused'] },
        }),
        ContactSync.findOne({ connectionId: connection._id }, { status: 1, startedAt: 1, finishedAt: 1 })
          .sort({ startedAt: -1 })
          .lean(),
      ]);
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
}
