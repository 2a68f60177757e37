/**
 * MCP over Streamable HTTP, mounted at /mcp: every request needs a bearer token, and each session
 * (one McpServer over the tool registry) is bound to the principal whose token opened it. Sessions
 * expire after an idle TTL and are capped, per principal (its least recently used one ends) and
 * in all (503 with Retry-After); an unknown or expired session answers 404, another principal's
 * 403, and DELETE ends one. Host and Origin are checked before anything else (DNS-rebinding
 * protection): by default only loopback names are accepted. A POST body must be JSON (415).
 */
import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { Hono } from 'hono';
import { silentLogger } from '../config/logger.js';
import type { Orders } from '../orders/service.js';
import type { Pool } from '../store/db/pool.js';
import { createToolContext } from '../tools/context.js';
import { TOOLS } from '../tools/index.js';
import type { ToolPrincipal } from '../tools/tool.js';
import { type AuthEnv, type AuthPrincipal, bearerAuth } from './auth.js';
import { createMcpServer } from './mcp-server.js';
import { type EndReason, SessionTable, type TrackedSession } from './mcp-sessions.js';
import type { ApiServices } from './proposals-routes.js';
import { BODY_LIMIT_BYTES } from './request-guards.js';

export interface McpRoutesOptions {
  /** Idle time after which a session ends (default 10 minutes). */
  ttlMs?: number;
  /** Live sessions at most; the next initialize answers 503 with Retry-After (default 100). */
  maxSessions?: number;
  /** Live sessions of one principal at most; its next initialize ends its least recently used (default 10). */
  maxSessionsPerPrincipal?: number;
  /** Host header names accepted, with or without a port (default loopback: 127.0.0.1, localhost, [::1]). */
  allowedHosts?: string[];
  /** Origin header values accepted when one is sent (default: any origin whose host is an allowed host). */
  allowedOrigins?: string[];
}

/** The routes and their sessions: mount `app` at /mcp, call `close()` on shutdown. */
export interface McpRoutes {
  app: Hono<AuthEnv>;
  /** Ends every session and stops the expiry sweep. */
  close(): Promise<void>;
  /** Live sessions now, of `principalId` alone when given. */
  sessionCount(principalId?: string): number;
}

interface Session extends TrackedSession {
  handle: string;
  /** The opening token's scopes, narrowed (never widened) by later tokens of the same principal. */
  scopes: ToolPrincipal['scopes'];
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
}

// Ten minutes, not thirty: a session costs an McpServer and a slot under the caps, and a client
// that vanished without DELETE (a closed laptop, a crashed agent) should give both back soon.
// A live client loses little: the spec has it initialize again on 404, and a session with a
// request still being answered (a long tool call) is never idle.
const DEFAULT_TTL_MS = 10 * 60_000;
const DEFAULT_MAX_SESSIONS = 100;
// Ten per principal: a person runs a few MCP clients at once (an IDE, a desktop app, a script),
// and the hundred slots stay shared by at least ten principals.
const DEFAULT_MAX_SESSIONS_PER_PRINCIPAL = 10;
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** A JSON-RPC error body (id null: the request was not processed). */
function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0' as const, error: { code, message }, id: null };
}

/** `response`, with `done` called once its body has ended, failed or been cancelled (at once without a body). */
function onBodyEnd(response: Response, done: () => void): Response {
  const source = response.body;
  if (!source) {
    done();
    return response;
  }
  const reader = source.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          done();
          controller.close();
        } else controller.enqueue(chunk.value);
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** The hostname part of a Host header value: "[::1]:8080" → "[::1]", "localhost:80" → "localhost". */
function hostnameOf(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

/** The /mcp routes over `services`. */
export function mcpRoutes(services: ApiServices, options: McpRoutesOptions = {}): McpRoutes {
  const allowedHosts = (options.allowedHosts ?? LOOPBACK_HOSTS).map((h) => h.toLowerCase());
  const allowedOrigins = options.allowedOrigins?.map((o) => o.toLowerCase().replace(/\/$/, ''));
  const logger = () => services.logger ?? silentLogger();
  const sessions = new SessionTable<Session>({
    ttlMs: options.ttlMs ?? DEFAULT_TTL_MS,
    maxSessions: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
    maxPerPrincipal: options.maxSessionsPerPrincipal ?? DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
    onEnd: async (session: Session, why: EndReason) => {
      logger().info({ session: session.id, principal: session.handle, why }, 'mcp session ended');
      await session.server.close();
    },
  });

  const hostAllowed = (host: string) =>
    allowedHosts.includes(host.trim().toLowerCase()) || allowedHosts.includes(hostnameOf(host));
  const originAllowed = (origin: string) => {
    const value = origin.trim().toLowerCase().replace(/\/$/, '');
    if (allowedOrigins) return allowedOrigins.includes(value);
    try {
      return hostAllowed(new URL(value).host);
    } catch {
      return false;
    }
  };

  const openSession = async (principal: AuthPrincipal): Promise<Session> => {
    const session = { principalId: principal.principalId, handle: principal.handle } as Session;
    session.scopes = [...principal.scopes];
    session.busy = 0;
    session.server = createMcpServer(TOOLS, ({ signal, progress }) =>
      createToolContext({
        // The opening token: orders checks at decision time that it is still live and may approve.
        principal: {
          id: session.principalId,
          handle: session.handle,
          scopes: session.scopes,
          credential: { kind: 'api_token', tokenId: principal.tokenId },
        },
        pool: services.pool as Pool,
        orders: services.orders as Orders,
        channel: 'mcp',
        logger: logger(),
        progress,
        signal,
        ...(services.limiter ? { limiter: services.limiter } : {}),
        ...(services.retrieval ? { retrieval: services.retrieval } : {}),
      }),
    );
    session.transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // The app's body limit already applies; this keeps the same limit where /mcp is mounted alone.
      maxRequestBodySize: BODY_LIMIT_BYTES,
      onsessioninitialized: (id) => {
        session.id = id;
        sessions.add(session);
        logger().info({ session: id, principal: session.handle }, 'mcp session opened');
      },
      onsessionclosed: (id) => {
        sessions.remove(session);
        logger().info(
          { session: id, principal: session.handle, why: 'delete' },
          'mcp session ended',
        );
      },
    });
    session.transport.onclose = () => {
      if (session.id !== undefined) sessions.remove(session);
    };
    await session.server.connect(session.transport);
    return session;
  };

  const app = new Hono<AuthEnv>();

  // DNS-rebinding protection first: a browser page on another name must not reach this.
  app.use('*', async (c, next) => {
    const host = c.req.header('Host') ?? '';
    if (!hostAllowed(host))
      return c.json(
        {
          error: 'forbidden_host',
          message: `Host "${host.slice(0, 200)}" is not allowed for /mcp; allowed: ${allowedHosts.join(', ')}.`,
        },
        403,
      );
    const origin = c.req.header('Origin');
    if (origin !== undefined && !originAllowed(origin))
      return c.json(
        {
          error: 'forbidden_origin',
          message: `Origin "${origin.slice(0, 200)}" is not allowed for /mcp; allowed: ${
            allowedOrigins?.join(', ') ?? `origins on ${allowedHosts.join(', ')}`
          }.`,
        },
        403,
      );
    await next();
  });

  app.use('*', async (c, next) => {
    if (!services.pool || !services.orders)
      return c.json(
        { error: 'starting', message: 'The server is still starting; try again in a moment.' },
        503,
      );
    return bearerAuth(services.pool, services.tokens)(c, next);
  });

  app.all('*', async (c) => {
    const principal = c.get('principal');
    // The transport answers this for a session's POST, but an initialize is parsed below
    // first (a text/plain body that is not JSON got 400), so every POST is checked here.
    if (c.req.method === 'POST' && !isJsonContentType(c.req.header('Content-Type')))
      return c.json(
        rpcError(
          -32000,
          `Unsupported Media Type: Content-Type must be application/json; got ${
            c.req.header('Content-Type') === undefined
              ? 'none'
              : `"${c.req.header('Content-Type')?.slice(0, 100)}"`
          }.`,
        ),
        415,
      );
    const sessionId = c.req.header('mcp-session-id');
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (!session) {
        return c.json(
          rpcError(
            -32001,
            `Session not found: ${sessionId.slice(0, 80)} is unknown, expired or ended; initialize a new session.`,
          ),
          404,
        );
      }
      if (session.principalId !== principal.principalId)
        return c.json(
          rpcError(-32003, 'Forbidden: this session belongs to another principal.'),
          403,
        );
      session.scopes = session.scopes.filter((scope) => principal.scopes.includes(scope));
      // A POST is work (a tool call streams its answer); a GET is a listening stream, which must
      // not keep an abandoned session alive.
      if (c.req.method !== 'POST') {
        sessions.touch(session);
        return session.transport.handleRequest(c.req.raw);
      }
      const done = sessions.begin(session);
      try {
        return onBodyEnd(await session.transport.handleRequest(c.req.raw), done);
      } catch (error) {
        done();
        throw error;
      }
    }

    // No session id: only an initialize request may open one.
    let body: unknown;
    if (c.req.method === 'POST') {
      try {
        body = await c.req.json();
      } catch {
        return c.json(rpcError(-32700, 'Parse error: the body is not valid JSON.'), 400);
      }
    }
    const initializes = Array.isArray(body)
      ? body.some((message) => isInitializeRequest(message))
      : isInitializeRequest(body);
    if (!initializes)
      return c.json(
        rpcError(
          -32000,
          'Bad Request: no mcp-session-id header; send an initialize request first to open a session.',
        ),
        400,
      );
    const slot = await sessions.reserve(principal.principalId);
    if (!slot.ok)
      return c.json(
        rpcError(
          -32000,
          `Too many MCP sessions: ${slot.maxSessions} are open (the cap); end one with DELETE /mcp or retry in ${slot.retryAfterSeconds} s.`,
        ),
        503,
        { 'Retry-After': String(slot.retryAfterSeconds) },
      );
    try {
      const session = await openSession(principal);
      const response = await session.transport.handleRequest(c.req.raw, { parsedBody: body });
      // An initialize the transport refused leaves no session behind.
      if (session.transport.sessionId === undefined)
        await session.server.close().catch(() => undefined);
      return response;
    } finally {
      slot.release();
    }
  });

  return {
    app,
    close: () => sessions.close(),
    sessionCount: (principalId?: string) => sessions.count(principalId),
  };
}
