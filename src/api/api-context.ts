import type Koa from 'koa';
import type { PipelineDeps } from '../application/pipeline-deps';
import { newCorrelation, type Cause } from '../domain/events/envelope';
import { companyOf } from './auth';

export interface ApiContext {
  pipeline: PipelineDeps;
  adminKey: string | undefined;
}

/** The request's company and correlation id: every event the request causes carries it. */
export function causeOf(ctx: Koa.Context): Cause {
  return newCorrelation(companyOf(ctx), ctx.state.requestId as string);
}
