/**
 * MCP over Streamable HTTP, mounted at /mcp: every request needs a bearer token, and each session
 * (one McpServer over the tool registry) is bound to the principal whose token opened it. Sessions
 * expire after an idle TTL and are capped in number; an unknown or expired session answers 404,
 * another principal's 403, and DELETE ends one. Host and Origin are checked before anything else
 * (DNS-rebinding protection): by default only loopback names are accepted.
 */
import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { Hono } from 'hono';
import { silentLogger } from '../config/logger.js';
import type { Orders } from '../orders/service.js';
import type { Pool } from '../store/db/pool.js';
import { TOOLS } from '../tools/index.js';
import { createMcpServer } from '../tools/mcp-server.js';
import type { ToolPrincipal } from '../tools/tool.js';
import { type AuthEnv, type AuthPrincipal, bearerAuth } from './auth.js';
import type { ApiServices } from './proposals-routes.js';

export interface McpRoutesOptions {
  /** Idle time after which a session ends (default 30 minutes). */
  ttlMs?: number;
  /** Live sessions at most; the next initialize answers 503 (default 100). */
  maxSessions?: number;
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
  /** Live sessions now. */
  sessionCount(): number;
}

interface Session {
  id: string;
  principalId: string;
  handle: string;
  /** The opening token's scopes, narrowed (never widened) by later tokens of the same principal. */
  scopes: ToolPrincipal['scopes'];
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
}

const DEFAULT_TTL_MS = 30 * 60_000;
const DEFAULT_MAX_SESSIONS = 100;
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** A JSON-RPC error body (id null: the request was not processed). */
function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0' as const, error: { code, message }, id: null };
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
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const allowedHosts = (options.allowedHosts ?? LOOPBACK_HOSTS).map((h) => h.toLowerCase());
  const allowedOrigins = options.allowedOrigins?.map((o) => o.toLowerCase().replace(/\/$/, ''));
  const logger = () => services.logger ?? silentLogger();
  const sessions = new Map<string, Session>();
  /** Initializes under way, counted against the cap so concurrent ones cannot overshoot it. */
  let opening = 0;

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

  const endSession = async (session: Session, why: string) => {
    if (sessions.get(session.id) === session) sessions.delete(session.id);
    logger().info({ session: session.id, principal: session.handle, why }, 'mcp session ended');
    await session.server.close().catch(() => undefined);
  };

  const expired = (session: Session, now = Date.now()) => now - session.lastSeen > ttlMs;
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const session of [...sessions.values()])
        if (expired(session, now)) void endSession(session, 'idle');
    },
    Math.max(50, Math.min(ttlMs / 2, 60_000)),
  );
  sweep.unref();

  const openSession = async (principal: AuthPrincipal): Promise<Session> => {
    const session = { principalId: principal.principalId, handle: principal.handle } as Session;
    session.scopes = [...principal.scopes];
    session.lastSeen = Date.now();
    session.server = createMcpServer(TOOLS, ({ signal, progress }) => ({
      principal: { id: session.principalId, handle: session.handle, scopes: session.scopes },
      pool: services.pool as Pool,
      orders: services.orders as Orders,
      logger: logger(),
      progress,
      signal,
      now: () => new Date(),
      limiter: services.limiter,
    }));
    session.transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session.id = id;
        sessions.set(id, session);
        logger().info({ session: id, principal: session.handle }, 'mcp session opened');
      },
      onsessionclosed: (id) => {
        if (sessions.get(id) === session) sessions.delete(id);
        logger().info(
          { session: id, principal: session.handle, why: 'delete' },
          'mcp session ended',
        );
      },
    });
    session.transport.onclose = () => {
      if (session.id !== undefined && sessions.get(session.id) === session)
        sessions.delete(session.id);
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
    const sessionId = c.req.header('mcp-session-id');
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (!session || expired(session)) {
        if (session) await endSession(session, 'idle');
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
      session.lastSeen = Date.now();
      return session.transport.handleRequest(c.req.raw);
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
    if (sessions.size + opening >= maxSessions)
      return c.json(
        rpcError(
          -32000,
          `Too many MCP sessions: ${maxSessions} are open (the cap); end one with DELETE /mcp or try again later.`,
        ),
        503,
      );
    opening++;
    try {
      const session = await openSession(principal);
      const response = await session.transport.handleRequest(c.req.raw, { parsedBody: body });
      // An initialize the transport refused leaves no session behind.
      if (session.transport.sessionId === undefined)
        await session.server.close().catch(() => undefined);
      return response;
    } finally {
      opening--;
    }
  });

  return {
    app,
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map((session) => endSession(session, 'shutdown')));
    },
    sessionCount: () => sessions.size,
  };
}
