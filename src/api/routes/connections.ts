import Router from '@koa/router';
import { declareLane } from '../../application/pipeline-deps';
import { ConnectionConnected } from '../../domain/events/contact-messages';
import { publishEvent } from '../../../publishers/domain-event';
import { type ApiContext, causeOf } from '../api-context';
import { companyOf } from '../auth';
import { connectionView } from '../presenters';
import { HttpProblem } from '../problem';
import { CloudApiInput, CreateConnectionBody, UpdateConnectionBody } from '../schemas';
import { pathId, validate } from '../validation';

export function connectionRoutes({ pipeline }: ApiContext): Router {
  const { Connection } = pipeline.models;
  const router = new Router();

  /** Creates a WhatsApp connection; its dispatch lane exists from this moment on. */
  router.post('/v1/connections', async (ctx) => {
    const companyId = companyOf(ctx);
    const body = validate(CreateConnectionBody, ctx.request.body, 'body');
    const connection = await Connection.create({ companyId, name: body.name, gateway: body.gateway, sandbox: body.sandbox, cloudApi: body.cloudApi ?? null });
    await declareLane(pipeline, String(connection._id));
    // A new connection is connected: its first contact sync starts now.
    await publishEvent(pipeline.publisher, ConnectionConnected, { connectionId: String(connection._id) }, causeOf(ctx));
    ctx.status = 201;
    ctx.body = connectionView(connection.toObject());
  });

  router.get('/v1/connections', async (ctx) => {
    const connections = await Connection.find({ companyId: companyOf(ctx) }).sort({ createdAt: 1 }).limit(500).lean();
    ctx.body = { items: connections.map(connectionView) };
  });

  router.get('/v1/connections/:id', async (ctx) => {
    const connection = await Connection.findOne({ _id: pathId(ctx.params.id, 'connection'), companyId: companyOf(ctx) }).lean();
    if (!connection) throw new HttpProblem(404, 'Not Found', 'no such connection');
    ctx.body = connectionView(connection);
  });

  /**
   * Switches the gateway or changes settings (cloudApi fields merge into the stored ones), or lifts
   * a halt with `status: "connected"`; the next send uses the new settings. Paused campaigns are
   * resumed separately (POST /v1/campaigns/:id/resume).
   */
  router.patch('/v1/connections/:id', async (ctx) => {
    const companyId = companyOf(ctx);
    const filter = { _id: pathId(ctx.params.id, 'connection'), companyId };
    const body = validate(UpdateConnectionBody, ctx.request.body ?? {}, 'body');
    const current = await Connection.findOne(filter).lean();
    if (!current) throw new HttpProblem(404, 'Not Found', 'no such connection');
    const cloudApi = body.cloudApi || body.gateway === 'cloud-api' ? CloudApiInput.safeParse({ ...current.cloudApi, ...body.cloudApi }) : null;
    if (cloudApi && !cloudApi.success) {
      const errors = cloudApi.error.issues.map((issue) => ({ field: ['body', 'cloudApi', ...issue.path.map(String)].join('.'), message: issue.message }));
      throw new HttpProblem(400, 'Bad Request', 'the request body is invalid', errors);
    }
    const set: Record<string, unknown> = {
      ...(body.name ? { name: body.name } : {}),
      ...(body.gateway ? { gateway: body.gateway } : {}),
      ...(body.sandbox ? { sandbox: { ...current.sandbox, ...body.sandbox } } : {}),
      ...(cloudApi?.success ? { cloudApi: cloudApi.data } : {}),
      ...(body.status === 'connected' ? { status: 'connected', haltedReason: null, haltedAt: null } : {}),
    };
    const updated = await Connection.findOneAndUpdate(filter, { $set: set }, { returnDocument: 'after' }).lean();
    if (!updated) throw new HttpProblem(404, 'Not Found', 'no such connection');
    if (body.status === 'connected' && current.status === 'halted') {
      pipeline.logger.warn('halted WhatsApp connection reconnected by an operator', { connectionId: String(updated._id), companyId, haltedReason: current.haltedReason });
    }
    ctx.body = connectionView(updated);
  });

  return router;
}
