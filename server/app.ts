/** The Hono application: routes, metrics, JSON errors. */
import { Hono } from 'hono';
import type { Logger } from '../config/logger.js';
import { checkHealth, type HealthSources } from './health.js';
import type { Metrics } from './metrics.js';
import { type ApiServices, proposalsRoutes } from './proposals-routes.js';

/**
 * Builds the app over `sources`, which start-up fills in as components come up (so /health can
 * answer `starting` before the database is ready).
 */
export function createApp(options: {
  sources: HealthSources;
  metrics: Metrics;
  logger: Logger;
  /** Services the /api routes use, filled in when start-up has made them. */
  api?: ApiServices;
}): Hono {
  const { sources, metrics, logger } = options;
  const app = new Hono();
  app.use(metrics.middleware);

  app.get('/health', async (c) => {
    const report = await checkHealth(sources);
    return c.json(report, report.status === 'ok' ? 200 : 503, { 'Cache-Control': 'no-store' });
  });

  app.get('/metrics', async (c) => {
    return c.body(await metrics.registry.metrics(), 200, {
      'Content-Type': metrics.registry.contentType,
    });
  });

  app.route('/api/proposals', proposalsRoutes(options.api ?? {}));

  app.notFound((c) =>
    c.json(
      {
        error: 'not_found',
        message: `No route for ${c.req.method} ${c.req.path}. Available: GET /health, GET /metrics, GET /api/proposals, GET /api/proposals/:id, POST /api/proposals/:id/approve, POST /api/proposals/:id/reject.`,
      },
      404,
    ),
  );

  app.onError((error, c) => {
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return c.json(
      {
        error: 'internal_error',
        message: 'The server failed to handle this request; see its log.',
      },
      500,
    );
  });
  return app;
}
