/**
 * REST for the MCP resources, mounted at /api: `GET /backtests/:id` (a stored run, as
 * backtest://{id}) and `GET /portfolio/:account` (what get_portfolio answers, through the tool
 * gate, as portfolio://{account}). Every route needs a bearer token with the 'read' scope.
 */
import { Hono } from 'hono';
import type { Pool } from '../store/db/pool.js';
import { getPortfolio } from '../tools/get-portfolio.js';
import { invokeTool } from '../tools/invoke.js';
import { readBacktest } from '../tools/run-backtest.js';
import { type AuthEnv, bearerAuth } from './auth.js';
import type { ApiServices } from './proposals-routes.js';
import { restToolContext, TOOL_ERROR_STATUS, toolPrincipal } from './tools-routes.js';

/** The resource routes over `services`, the one object start-up fills in (never a copy of it). */
export function resourcesRoutes(services: ApiServices): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  // Only these paths: the app mounts this at /api next to /api/tools and /api/openapi.json, which
  // a '*' middleware here would also catch.
  for (const path of ['/backtests/*', '/portfolio/*']) {
    api.use(path, async (c, next) => {
      if (!services.pool || !services.orders)
        return c.json(
          { error: 'starting', message: 'The server is still starting; try again in a moment.' },
          503,
        );
      return bearerAuth(services.pool, services.tokens)(c, next);
    });
    api.use(path, async (c, next) => {
      const { scopes } = c.get('principal');
      if (!scopes.includes('read'))
        return c.json(
          {
            error: 'forbidden',
            message: `${c.req.path} needs the 'read' scope; this token has ${scopes.map((s) => `'${s}'`).join(', ') || 'no scopes'}. Ask for a token with it (\`countersign token create --principal <name> --scopes read\`).`,
          },
          403,
        );
      await next();
    });
  }

  api.get('/backtests/:id', async (c) => {
    const result = await readBacktest(
      services.pool as Pool,
      toolPrincipal(c.get('principal')),
      c.req.param('id'),
    );
    if (!result.ok)
      return c.json(
        { error: result.code, message: result.message },
        TOOL_ERROR_STATUS[result.code],
      );
    return c.json(result.output);
  });

  api.get('/portfolio/:account', async (c) => {
    const result = await invokeTool(
      getPortfolio,
      { account: c.req.param('account') },
      restToolContext(services, c.get('principal'), c.req.raw.signal),
    );
    if (!result.ok)
      return c.json(
        { error: result.code, message: result.message },
        TOOL_ERROR_STATUS[result.code],
      );
    return c.json(result.output);
  });
  return api;
}
