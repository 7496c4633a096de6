import { timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { hashApiKey } from '../application/companies/api-keys';
import type { ApiCache } from './api-cache';
import { HttpProblem } from './problem';

export type Auth = { kind: 'company'; companyId: string } | { kind: 'admin' };

const MAX_KEY_LENGTH = 512;

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
export function apiKeyAuthenticator(
  companyOfKey: (hash: string) => Promise<string | null>,
  adminKey: string | undefined,
  cache: ApiCache<string | null>,
): (ctx: Koa.Context) => Promise<Auth> {
  return async (ctx) => {
    const key = presentedKey(ctx);
    if (!key) throw new HttpProblem(401, 'Unauthorized', 'an API key is required (Authorization: Bearer <key>)');
    if (key.length > MAX_KEY_LENGTH) throw new HttpProblem(401, 'Unauthorized', 'unknown API key');
    if (adminKey && sameSecret(key, adminKey)) return { kind: 'admin' };
    // Looked up by _id (the hash): an index lookup on every server, no scan.
    const hash = hashApiKey(key);
    const companyId = await cache.get(hash, async () => {
      const companyId = await companyOfKey(hash);
      if (!companyId) throw new HttpProblem(401, 'Unauthorized', 'unknown API key');
      return companyId;
    });
    if (!companyId) throw new HttpProblem(401, 'Unauthorized', 'unknown API key');
    return { kind: 'company', companyId };
  };
}

/** The company the caller's key belongs to; every tenant query filters on it. */
export function companyOf(ctx: Koa.Context): string {
  const auth = ctx.state.auth as Auth | undefined;
  if (auth?.kind !== 'company') throw new HttpProblem(403, 'Forbidden', 'this route needs a company API key');
  return auth.companyId;
}
