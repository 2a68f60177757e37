/**
 * REST for the tool registry, mounted at /api/tools: `GET /` lists the tools, `POST /:name` runs
 * one with a JSON body through the same gate as MCP (tools/invoke.ts: scopes, validation, audit).
 * Every route needs a bearer token; a write tool needs the 'propose' scope and only proposes.
 * A call the per-principal limiter refuses answers 429 with Retry-After.
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { silentLogger } from '../config/logger.js';
import type { Orders } from '../orders/service.js';
import type { Pool } from '../store/db/pool.js';
import { createToolContext } from '../tools/context.js';
import { TOOLS, toolByName } from '../tools/index.js';
import { type InvokeErrorCode, invokeTool } from '../tools/invoke.js';
import type { Tool, ToolContext, ToolPrincipal } from '../tools/tool.js';
import { type AuthPrincipal, bearerAuth } from './auth.js';
import { policyRetryAfterSeconds } from './http-limits.js';
import type { ApiServices } from './proposals-routes.js';

/** The tool principal of an authenticated request. */
export function toolPrincipal(principal: AuthPrincipal): ToolPrincipal {
  return {
    id: principal.principalId,
    handle: principal.handle,
    scopes: principal.scopes,
    credential: { kind: 'api_token', tokenId: principal.tokenId },
  };
}

/** The context of a tool call made over REST by `principal` (no progress: one JSON answer). */
export function restToolContext(
  services: ApiServices,
  principal: AuthPrincipal,
  signal: AbortSignal,
): ToolContext {
  return createToolContext({
    principal: toolPrincipal(principal),
    pool: services.pool as Pool,
    orders: services.orders as Orders,
    channel: 'rest',
    logger: services.logger ?? silentLogger(),
    signal,
    ...(services.limiter ? { limiter: services.limiter } : {}),
    ...(services.retrieval ? { retrieval: services.retrieval } : {}),
  });
}

/** The HTTP status of each error code a tool call can answer. */
export const TOOL_ERROR_STATUS: Record<InvokeErrorCode, ContentfulStatusCode> = {
  bad_input: 400,
  not_found: 404,
  forbidden: 403,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** The /api/tools routes over `services` (`tools` defaults to the registry). */
export function toolsRoutes(
  services: ApiServices,
  tools: readonly Tool[] = TOOLS,
): Hono<{ Variables: { principal: AuthPrincipal } }> {
  const api = new Hono<{ Variables: { principal: AuthPrincipal } }>();
  const byName = (name: string) =>
    tools === TOOLS ? toolByName(name) : tools.find((tool) => tool.name === name);
  api.use('*', async (c, next) => {
    if (!services.pool || !services.orders)
      return c.json(
        { error: 'starting', message: 'The server is still starting; try again in a moment.' },
        503,
      );
    return bearerAuth(services.pool, services.tokens)(c, next);
  });

  api.get('/', (c) =>
    c.json({
      tools: tools.map((tool) => ({
        name: tool.name,
        title: tool.title,
        description: tool.description,
        writes: tool.writes,
      })),
    }),
  );

  api.post('/:name', async (c) => {
    const name = c.req.param('name');
    const tool = byName(name);
    if (!tool)
      return c.json(
        {
          error: 'not_found',
          message: `no tool named "${name.slice(0, 60)}"; tools: ${tools.map((one) => one.name).join(', ')}`,
        },
        404,
      );
    const text = await c.req.text();
    let body: unknown = {};
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return c.json(
          {
            error: 'bad_input',
            message: `the body is not JSON; send the arguments of ${tool.name} as a JSON object (see GET /api/openapi.json)`,
          },
          400,
        );
      }
    }
    const principal = c.get('principal');
    const result = await invokeTool(
      tool,
      body,
      restToolContext(services, principal, c.req.raw.signal),
    );
    if (!result.ok)
      return c.json(
        { error: result.code, message: result.message },
        TOOL_ERROR_STATUS[result.code],
        // The gate answers only a message; one token's refill time bounds the wait for one call.
        result.code === 'rate_limited'
          ? {
              'Retry-After': String(
                policyRetryAfterSeconds(services.limiter?.policy ?? { refillPerSecond: 1 }),
              ),
            }
          : undefined,
      );
    return c.json({ output: result.output });
  });
  return api;
}
