/**
 * POST /api/chat: one conversation turn over HTTP, answered as Server-Sent Events — one event
 * per engine event (`text`, `tool_started`, `tool_progress`, `tool_result`, `proposal`,
 * `error`, `done`), each `data` one JSON object. Bearer token; body `{thread, text}` (thread
 * default "main"; threads are the token principal's own). `/approve` typed here decides as the
 * token's principal on the 'rest' approval channel, which orders allows only for a token with
 * the 'approve' scope. A client that disconnects cancels the running tool; the turn is still
 * kept whole in the thread. GET /api/chat/threads lists the principal's threads.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ChatEngine } from '../agents/engine.js';
import { MAX_TURN_TEXT, THREAD_PATTERN } from '../agents/engine.js';
import type { Pool } from '../store/db/pool.js';
import { listThreads } from '../store/repos/conversations-repo.js';
import { type AuthPrincipal, bearerAuth } from './auth.js';
import type { ApiServices } from './proposals-routes.js';
import { toolPrincipal } from './tools-routes.js';

function badRequest(message: string) {
  return { error: 'bad_request', message };
}

export function chatRoutes(
  services: ApiServices,
): Hono<{ Variables: { principal: AuthPrincipal } }> {
  const api = new Hono<{ Variables: { principal: AuthPrincipal } }>();
  api.use('*', async (c, next) => {
    if (!services.pool || !services.chat)
      return c.json(
        { error: 'starting', message: 'The server is still starting; try again in a moment.' },
        503,
      );
    return bearerAuth(services.pool, services.tokens)(c, next);
  });

  api.get('/threads', async (c) => {
    const principal = c.get('principal');
    const threads = await listThreads(services.pool as Pool, principal.principalId, 'rest');
    return c.json({
      threads: threads.map((one) => ({
        thread: one.thread,
        messages: one.messages,
        updated_at: one.updatedAt.toISOString(),
      })),
    });
  });

  api.post('/', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json(
        badRequest('the body must be JSON: {"thread": "main", "text": "/quote AAPL"}'),
        400,
      );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return c.json(
        badRequest('the body must be an object: {"thread": "main", "text": "/quote AAPL"}'),
        400,
      );
    const { thread = 'main', text } = body as { thread?: unknown; text?: unknown };
    if (typeof text !== 'string' || text.trim() === '')
      return c.json(
        badRequest('text is required: a question or a /command (a non-empty string)'),
        400,
      );
    if (text.length > MAX_TURN_TEXT)
      return c.json(
        badRequest(`text has ${text.length} characters; at most ${MAX_TURN_TEXT}`),
        400,
      );
    if (typeof thread !== 'string' || !THREAD_PATTERN.test(thread))
      return c.json(
        badRequest(
          `thread ${JSON.stringify(String(thread).slice(0, 70))} is not 1-64 of letters, digits, ".", "_" and "-"`,
        ),
        400,
      );
    const principal = c.get('principal');
    const engine = services.chat as ChatEngine;
    const abort = new AbortController();
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      let id = 0;
      for await (const event of engine.turn({
        principal: toolPrincipal(principal),
        surface: {
          channel: 'rest',
          approval: {
            channel: 'rest',
            credential: { kind: 'api_token', tokenId: principal.tokenId },
          },
        },
        thread,
        text,
        signal: abort.signal,
      })) {
        if (abort.signal.aborted) continue; // drain: the turn finishes and is stored
        await stream.writeSSE({ event: event.type, data: JSON.stringify(event), id: String(id++) });
      }
    });
  });
  return api;
}
