import Router from '@koa/router';
import { declareLane } from '../../application/pipeline-deps';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import { connectionView } from '../presenters';
import { HttpProblem } from '../problem';
import { CreateConnectionBody } from '../schemas';
import { pathId, validate } from '../validation';

export function connectionRoutes({ pipeline }: ApiContext): Router {
  const { Connection } = pipeline.models;
  const router = new Router();

  /** Creates a WhatsApp connection; its dispatch lane exists from this moment on. */
  router.post('/v1/connections', async (ctx) => {
    const companyId = companyOf(ctx);
    const body = validate(CreateConnectionBody, ctx.request.body, 'body');
    const connection = await Connection.create({ companyId, name: body.name, gateway: body.gateway, sandbox: body.sandbox });
    await declareLane(pipeline, String(connection._id));
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

  return router;
}
