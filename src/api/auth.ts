import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import type { Models } from '../infrastructure/mongo/models';
import { HttpProblem } from './problem';

export type Auth = { kind: 'company'; companyId: string } | { kind: 'admin' };

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new plain key: shown once to its owner, stored only as its hash. */
export function newApiKey(): string {
  return `dsp_${randomBytes(24).toString('base64url')}`;
}

function presentedKey(ctx: Koa.Context): string | undefined {
  const header = ctx.get('authorization');
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  return bearer ?? (ctx.get('x-api-key') || undefined);
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(hashApiKey(a));
  const right = Buffer.from(hashApiKey(b));
  return timingSafeEqual(left, right);
}

/** Resolves the API key (Authorization: Bearer … or X-Api-Key) to a company or to the admin. */
export function authenticate(models: Models, adminKey: string | undefined): Koa.Middleware {
  return async (ctx, next) => {
    const key = presentedKey(ctx);
    if (!key) throw new HttpProblem(401, 'Unauthorized', 'an API key is required (Authorization: Bearer <key>)');
    if (adminKey && sameSecret(key, adminKey)) {
      ctx.state.auth = { kind: 'admin' } satisfies Auth;
      return next();
    }
    const stored = await models.ApiKey.findById(hashApiKey(key), { companyId: 1 }).lean();
    if (!stored) throw new HttpProblem(401, 'Unauthorized', 'unknown API key');
    ctx.state.auth = { kind: 'company', companyId: String(stored.companyId) } satisfies Auth;
    return next();
  };
}

/** The company the caller's key belongs to; every tenant query filters on it. */
export function companyOf(ctx: Koa.Context): string {
  const auth = ctx.state.auth as Auth | undefined;
  if (auth?.kind !== 'company') throw new HttpProblem(403, 'Forbidden', 'this route needs a company API key');
  return auth.companyId;
}

export function requireAdmin(ctx: Koa.Context): void {
  const auth = ctx.state.auth as Auth | undefined;
  if (auth?.kind !== 'admin') throw new HttpProblem(403, 'Forbidden', 'this route needs the admin API key');
}
