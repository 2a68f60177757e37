/** The Hono application: request guards, routes, metrics, JSON errors. */
import { Hono } from 'hono';
import type { Logger } from '../config/logger.js';
import { chatRoutes } from './chat-routes.js';
import { checkHealth, type HealthSources } from './health.js';
import { mcpRoutes } from './mcp-routes.js';
import type { Metrics } from './metrics.js';
import { openApiRoute } from './openapi.js';
import { type ApiServices, proposalsRoutes } from './proposals-routes.js';
import { bodyLimitGuard, jsonBodyGuard, requestTargetGuard } from './request-guards.js';
import { resourcesRoutes } from './resources-routes.js';
import { toolsRoutes } from './tools-routes.js';

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
  /** Receives what must run on shutdown (ending MCP sessions). */
  onClose?: (close: () => Promise<void>) => void;
}): Hono {
  const { sources, metrics, logger } = options;
  const app = new Hono();
  // One object shared by every route: start-up fills it in after the routes exist, so a copy
  // here would answer 503 forever.
  const api = options.api ?? {};
  api.logger ??= logger;
  app.use(metrics.middleware);
  // Before any route: a broken path or query, an oversized body, a body that is not JSON.
  app.use(requestTargetGuard());
  app.use(bodyLimitGuard());
  app.use('/api/*', jsonBodyGuard());
  // Every bearerAuth below (whichever route mounts it) limits failed authentications with the
  // limiter start-up put in api.limiters, read per request since it comes later.
  app.use(async (c, next) => {
    const limiter = api.limiters?.auth;
    c.set('authGuard', limiter ? { limiter, logger } : undefined);
    await next();
  });

  app.get('/health', async (c) => {
    const report = await checkHealth(sources);
    return c.json(report, report.status === 'ok' ? 200 : 503, { 'Cache-Control': 'no-store' });
  });

  app.get('/metrics', async (c) => {
    return c.body(await metrics.registry.metrics(), 200, {
      'Content-Type': metrics.registry.contentType,
    });
  });

  // Telegram's webhook (bots/telegram/webhook.ts checks the secret), when the bot runs in webhook mode.
  app.post('/webhooks/telegram', async (c) => {
    const hook = api.bots?.telegramWebhook;
    if (!hook)
      return c.json(
        {
          error: 'not_configured',
          message:
            'the Telegram webhook is off: set TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET',
        },
        404,
      );
    const inner = new URL(c.req.url);
    inner.pathname = '/';
    return hook.fetch(new Request(inner, c.req.raw));
  });
  // Slack's requests (bots/slack/events.ts checks the signature and the timestamp).
  app.post('/slack/events', async (c) => {
    const events = api.bots?.slackEvents;
    if (!events)
      return c.json(
        {
          error: 'not_configured',
          message: 'the Slack app is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET',
        },
        404,
      );
    const inner = new URL(c.req.url);
    inner.pathname = '/';
    return events.fetch(new Request(inner, c.req.raw));
  });
  app.route('/api/proposals', proposalsRoutes(api));
  app.route('/api/tools', toolsRoutes(api));
  app.route('/api/chat', chatRoutes(api));
  app.route('/api', resourcesRoutes(api));
  app.route('/api', openApiRoute());
  const mcp = mcpRoutes(api);
  app.route('/mcp', mcp.app);
  options.onClose?.(mcp.close);

  app.notFound((c) =>
    c.json(
      {
        error: 'not_found',
        message: `No route for ${c.req.method} ${c.req.path}. Available: GET /health, GET /metrics, GET /api/proposals, GET /api/proposals/:id, POST /api/proposals/:id/approve, POST /api/proposals/:id/reject, GET /api/tools, POST /api/tools/:name, GET /api/backtests/:id, GET /api/portfolio/:account, GET /api/openapi.json, POST /api/chat, GET /api/chat/threads, POST|GET|DELETE /mcp.`,
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
