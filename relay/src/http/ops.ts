// Operations endpoints outside the protocol: GET /healthz for load balancers and
// supervisors, GET /metrics for Prometheus, and the middleware that counts (and, at
// debug level, logs) every HTTP request by its route pattern. Route patterns, never
// raw paths: a blob's path holds its id, which is the capability to download it.
import { sodium } from '@parley/common/sodium';
import { utf8 } from '@parley/common/encoding';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { RelayContext } from '../context.ts';
import { errorFields } from '../log.ts';
import type { RelayMetrics } from '../metrics.ts';
import { problemResponse } from './problem.ts';

/** Counts each request once it has been answered; `route` is the matched pattern or "unmatched". */
export function httpMetrics(ctx: RelayContext, metrics: RelayMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const route = routeOf(c);
    const status = c.res.status;
    metrics.httpRequests.inc({ route, method: c.req.method, status: String(status) });
    ctx.log.debug('http.request', { method: c.req.method, route, status, ms: Math.round((performance.now() - started) * 10) / 10 });
  };
}

/** The pattern of the handler that matched (middleware is registered as ALL and skipped). */
function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i].method !== 'ALL') return routes[i].path;
  return 'unmatched';
}

export function opsRoutes(ctx: RelayContext, metrics: RelayMetrics): Hono {
  const app = new Hono();

  // Liveness and store reachability. 503 while shutting down too, so a load balancer
  // drains this instance before it goes away.
  app.get('/healthz', async (c) => {
    if (ctx.shuttingDown) return problemResponse('shutting_down');
    try {
      await ctx.store.ping();
    } catch (err) {
      ctx.log.error('health.store_unreachable', errorFields(err));
      return new Response(JSON.stringify({ code: 'internal', message: 'The store is unreachable; see the relay log.', details: { store: 'unreachable' } }), {
        status: 503,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      });
    }
    c.header('cache-control', 'no-store');
    return c.json({ status: 'ok', store: 'ok' });
  });

  const { metricsToken, metrics: enabled } = ctx.config;
  const expected = metricsToken ? digest(metricsToken) : null;
  app.get('/metrics', async (c) => {
    if (!enabled) return problemResponse('not_found', 'Metrics are switched off on this relay (PARLEY_METRICS=false).');
    if (expected) {
      const given = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
      if (!given || !sodium().memcmp(digest(given), expected)) {
        return problemResponse('unauthenticated', 'GET /metrics needs `Authorization: Bearer <PARLEY_METRICS_TOKEN>`.', undefined, { 'www-authenticate': 'Bearer' });
      }
    }
    return new Response(await metrics.render(), { headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' } });
  });
  return app;
}

/** Fixed-length digests so the comparison is constant-time whatever the token lengths. */
const digest = (token: string): Uint8Array => sodium().crypto_generichash(32, utf8(token), null);
