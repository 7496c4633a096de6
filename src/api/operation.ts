import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import type { Auth } from './auth';
import { HttpProblem } from './problem';
import { validate } from './validation';

/**
 * Who may call an operation: `public` (health, docs), `signed` (provider webhooks, signed by the
 * provider), `company` (a company's API key), `admin` (the admin key), `any` (either key).
 */
export type Access = 'public' | 'signed' | 'company' | 'admin' | 'any';
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A response an operation may give: a description, and the schema of its JSON body when known. */
export type ResponseSpec = string | { description: string; schema?: z.ZodType; contentType?: string };

/**
 * One HTTP operation described as data: the router serves it (validating each request part with
 * these schemas before the handler runs) and the OpenAPI document is generated from it.
 */
export interface Operation<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** Koa path syntax: `/v1/campaigns/:id`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** A JSON body the handler validates itself (after checking a signature): documented only. */
  documentedBody?: z.ZodType;
  /** The body's media type when it is not JSON (the handler reads the stream itself). */
  rawBodyType?: string;
  responses: Record<number, ResponseSpec>;
}

type Part<S> = S extends z.ZodType ? z.infer<S> : undefined;
export interface Input<P, Q, B> {
  params: Part<P>;
  query: Part<Q>;
  body: Part<B>;
}

export type Handler<P, Q, B> = (ctx: Koa.Context, input: Input<P, Q, B>) => unknown;

/** Resolves the caller's key; the router applies it to every operation that is not public. */
export type Authenticator = (ctx: Koa.Context) => Promise<Auth>;

/** The API's one router: operations are defined with their schemas, served and documented alike. */
export class ApiRouter {
  readonly router = new Router();
  readonly operations: Operation[] = [];

  constructor(private readonly authenticate: Authenticator) {}

  define<
    P extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
  >(
    operation: Omit<Operation, 'params' | 'query' | 'body'> & { params?: P; query?: Q; body?: B },
    handler: Handler<P, Q, B>,
  ): void {
    this.operations.push(operation as Operation);
    this.router[operation.method](operation.path, async (ctx) => {
      await this.checkAccess(ctx, operation.access);
      const params = operation.params ? validate(operation.params, ctx.params, 'path') : undefined;
      const keyed = operation.access !== 'public' && operation.access !== 'signed';
      const querySchema = operation.query ?? (keyed ? NO_QUERY : undefined);
      const query = querySchema ? validate(querySchema, ctx.query, 'query') : undefined;
      const body = operation.body ? validate(operation.body, jsonBody(ctx), 'body') : undefined;
      await handler(ctx, { params, query, body } as Input<P, Q, B>);
    });
  }

  /**
   * Lets an operation that reads its body as a stream (a CSV upload) get it unread, whatever the
   * Content-Type: its handler answers a wrong type itself ("send text/csv") instead of the JSON
   * parser consuming the upload. Used before the body parser.
   */
  rawBodyPassThrough(): Koa.Middleware {
    return async (ctx, next) => {
      const matched = this.router.match(ctx.path, ctx.method).pathAndMethod;
      const raw = matched.some((layer) =>
        this.operations.some(
          (operation) =>
            operation.rawBodyType && operation.path === layer.path && operation.method.toUpperCase() === ctx.method,
        ),
      );
      if (raw) (ctx as { disableBodyParser?: boolean }).disableBodyParser = true;
      await next();
    };
  }

  /** Routes and, for a known path with another method, 405 with an Allow header (answered by the app's fallback). */
  middleware(): Koa.Middleware[] {
    return [this.router.routes() as Koa.Middleware, this.router.allowedMethods() as Koa.Middleware];
  }

  private async checkAccess(ctx: Koa.Context, access: Access): Promise<void> {
    if (access === 'public' || access === 'signed') return;
    const auth = await this.authenticate(ctx);
    ctx.state.auth = auth;
    if (access === 'company' && auth.kind !== 'company')
      throw new HttpProblem(403, 'Forbidden', 'this route needs a company API key');
    if (access === 'admin' && auth.kind !== 'admin')
      throw new HttpProblem(403, 'Forbidden', 'this route needs the admin API key');
  }
}

/**
 * The query of a keyed operation that reads none: unknown parameters are refused there too, as in
 * every query schema (public pages, health probes and provider webhooks, whose callback URL the
 * operator may have given a query of their own, stay lenient).
 */
const NO_QUERY = z.strictObject({});

/** A body sent as something other than JSON is refused before validation (415). */
function jsonBody(ctx: Koa.Context): unknown {
  const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
  if (hasBody && !ctx.is('application/json', 'application/*+json')) {
    throw new HttpProblem(415, 'Unsupported Media Type', 'send the body as JSON (Content-Type: application/json)');
  }
  return ctx.request.body;
}

export interface RouteEntry {
  method: string;
  path: string;
}

/** Every route the app serves, read from its routers (HEAD, implied by GET, left out). */
export function routeTable(app: Koa): RouteEntry[] {
  const routes: RouteEntry[] = [];
  for (const middleware of app.middleware) {
    const router = (middleware as { router?: Router }).router;
    for (const layer of router?.stack ?? []) {
      if (typeof layer.path !== 'string') continue;
      for (const method of layer.methods) if (method !== 'HEAD') routes.push({ method, path: layer.path });
    }
  }
  return routes;
}
