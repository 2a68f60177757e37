/**
 * MCP over Streamable HTTP through a real HTTP server and the SDK's client, against a real
 * database: tools listed and called, bearer tokens required, Host checked, JSON bodies required,
 * sessions bound to their principal, ended by DELETE, expired when idle, capped in all (503 with
 * Retry-After) and per principal (its least recently used ended); propose_order only proposes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createApiToken } from '../store/repos/api-tokens-repo.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { type McpRoutes, mcpRoutes } from './mcp-routes.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let server: http.Server;
let base: string;
let alice: string;
let bob: string;
let carol: string;
let main: McpRoutes;
let small: McpRoutes;
let capped: McpRoutes;
let short: McpRoutes;
const clients: Client[] = [];

/** A connected client for `token` on `route` (/mcp, or /small: the capped, short-lived one). */
async function connect(token: string, route = '/mcp') {
  const transport = new StreamableHTTPClientTransport(new URL(`${base}${route}`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport, sessionId: transport.sessionId as string };
}

/** A raw request (node:http, so the Host header can be anything). */
function raw(
  method: string,
  route: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: route,
        headers: {
          Accept: 'application/json, text/event-stream',
          'Content-Type': 'application/json',
          ...headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text, headers: response.headers }),
        );
      },
    );
    request.on('error', reject);
    request.end(
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    );
  });
}

const LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1.0.0' },
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [path.join(SAMPLE_DIR, 'KO.csv.gz')]);
  t = testOrders(db.pool);
  t.prices.set('KO', '54.61');
  alice = await createApiToken(db.pool, {
    principal: 'alice',
    role: 'trader',
    scopes: ['read', 'propose'],
  });
  bob = await createApiToken(db.pool, { principal: 'bob', role: 'trader', scopes: ['read'] });
  carol = await createApiToken(db.pool, { principal: 'carol', role: 'viewer', scopes: ['read'] });
  const services = { pool: db.pool, orders: t.orders, logger: silentLogger() };
  main = mcpRoutes(services);
  small = mcpRoutes(services, { maxSessions: 1, ttlMs: 300 });
  capped = mcpRoutes(services);
  short = mcpRoutes(services, { ttlMs: 150 });
  const app = new Hono();
  app.route('/mcp', main.app);
  app.route('/small', small.app);
  app.route('/capped', capped.app);
  app.route('/short', short.app);
  server = createAdaptorServer({ fetch: app.fetch }) as http.Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await main?.close();
  await small?.close();
  await capped?.close();
  await short?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await db?.drop();
});

describe('MCP over Streamable HTTP', () => {
  it('lists the tools and calls get_quote over real HTTP', async () => {
    const { client, sessionId } = await connect(alice);
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('get_quote');
    const result = await client.callTool({ name: 'get_quote', arguments: { symbol: 'KO' } });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { symbol: string; price: number };
    expect(structured.symbol).toBe('KO');
    expect(typeof structured.price).toBe('number');
  });

  it('refuses a request without a bearer token with 401', async () => {
    const response = await raw('POST', '/mcp', {}, INITIALIZE);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.text).error).toBe('unauthorized');
    await expect(
      new Client({ name: 'anon', version: '1.0.0' }).connect(
        new StreamableHTTPClientTransport(new URL(`${base}/mcp`)),
      ),
    ).rejects.toThrow();
  });

  it('refuses a foreign Host or Origin with 403 naming the value', async () => {
    const host = await raw(
      'POST',
      '/mcp',
      { Host: 'evil.example:80', Authorization: `Bearer ${alice}` },
      INITIALIZE,
    );
    expect(host.status).toBe(403);
    expect(JSON.parse(host.text).message).toContain('evil.example:80');
    const origin = await raw(
      'POST',
      '/mcp',
      { Origin: 'http://evil.example', Authorization: `Bearer ${alice}` },
      INITIALIZE,
    );
    expect(origin.status).toBe(403);
    expect(JSON.parse(origin.text).message).toContain('http://evil.example');
    // A loopback name with a port passes the check (and then needs a token).
    const localhost = await raw('POST', '/mcp', { Host: 'localhost:9999' }, INITIALIZE);
    expect(localhost.status).toBe(401);
  });

  it('answers 404 for an unknown session and 400 for a non-initialize request without one', async () => {
    const unknown = await raw(
      'POST',
      '/mcp',
      {
        Authorization: `Bearer ${alice}`,
        'mcp-session-id': '00000000-0000-4000-8000-000000000000',
      },
      LIST,
    );
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text).error.message).toMatch(/Session not found/);
    const none = await raw('POST', '/mcp', { Authorization: `Bearer ${alice}` }, LIST);
    expect(none.status).toBe(400);
  });

  it("binds a session to its principal: another principal's token gets 403", async () => {
    const { sessionId } = await connect(alice);
    const response = await raw(
      'POST',
      '/mcp',
      { Authorization: `Bearer ${bob}`, 'mcp-session-id': sessionId },
      LIST,
    );
    expect(response.status).toBe(403);
    expect(JSON.parse(response.text).error.message).toMatch(/another principal/);
  });

  it('DELETE ends the session; it then answers 404', async () => {
    const { transport, sessionId } = await connect(alice);
    const before = main.sessionCount();
    await transport.terminateSession();
    expect(main.sessionCount()).toBe(before - 1);
    const after = await raw(
      'POST',
      '/mcp',
      { Authorization: `Bearer ${alice}`, 'mcp-session-id': sessionId },
      LIST,
    );
    expect(after.status).toBe(404);
  });

  it('answers 503 on the initialize past the cap, and expires idle sessions (404)', async () => {
    const { client, sessionId } = await connect(alice, '/small');
    const refused = await raw('POST', '/small', { Authorization: `Bearer ${alice}` }, INITIALIZE);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.text).error.message).toMatch(/Too many MCP sessions: 1/);
    // The one session expires 300 ms after its last use: retry in about a second.
    expect(refused.headers['retry-after']).toBe('1');
    await client.listTools();
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(small.sessionCount()).toBe(0);
    const expired = await raw(
      'POST',
      '/small',
      { Authorization: `Bearer ${alice}`, 'mcp-session-id': sessionId },
      LIST,
    );
    expect(expired.status).toBe(404);
    // The slot is free again.
    const again = await connect(alice, '/small');
    expect(again.sessionId).not.toBe(sessionId);
  });

  it('caps sessions per principal: 75 initializes from one token leave its 10 most recently used', async () => {
    const open = async (token: string) => {
      const response = await raw(
        'POST',
        '/capped',
        { Authorization: `Bearer ${token}` },
        INITIALIZE,
      );
      expect(response.status).toBe(200);
      return response.headers['mcp-session-id'] as string;
    };
    const list = (token: string, sessionId: string) =>
      raw(
        'POST',
        '/capped',
        { Authorization: `Bearer ${token}`, 'mcp-session-id': sessionId },
        LIST,
      );
    const ids: string[] = [];
    for (let k = 0; k < 75; k++) ids.push(await open(carol));
    const { rows } = await db.pool.query<{ id: string }>(
      "SELECT id FROM principals WHERE handle = 'carol'",
    );
    const carolId = rows[0]?.id as string;
    expect(capped.sessionCount(carolId)).toBe(10);
    expect(capped.sessionCount()).toBe(10);
    // The oldest were ended: 404, as for any ended session; the newest ten still answer.
    for (const id of [ids[0], ids[30], ids[64]])
      expect((await list(carol, id as string)).status).toBe(404);
    for (const id of ids.slice(65)) expect((await list(carol, id)).status).toBe(200);
    // Least recently used, not oldest opened: ids[65] was just used after ids[66].
    expect((await list(carol, ids[65] as string)).status).toBe(200);
    await open(carol);
    expect((await list(carol, ids[66] as string)).status).toBe(404);
    expect((await list(carol, ids[65] as string)).status).toBe(200);
    expect(capped.sessionCount(carolId)).toBe(10);
    // Another principal is not crowded out.
    const bobSession = await open(bob);
    expect((await list(bob, bobSession)).status).toBe(200);
    expect(capped.sessionCount()).toBe(11);
  });

  it('refuses a POST whose body is not JSON with 415, with or without a session', async () => {
    const init = await raw(
      'POST',
      '/mcp',
      { Authorization: `Bearer ${alice}`, 'Content-Type': 'text/plain' },
      'hello',
    );
    expect(init.status).toBe(415);
    expect(JSON.parse(init.text).error.message).toMatch(
      /Content-Type must be application\/json; got "text\/plain"/,
    );
    const asText = await raw(
      'POST',
      '/mcp',
      { Authorization: `Bearer ${alice}`, 'Content-Type': 'text/plain' },
      INITIALIZE,
    );
    expect(asText.status).toBe(415);
    const { sessionId } = await connect(alice);
    const inSession = await raw(
      'POST',
      '/mcp',
      {
        Authorization: `Bearer ${alice}`,
        'mcp-session-id': sessionId,
        'Content-Type': 'text/plain',
      },
      LIST,
    );
    expect(inSession.status).toBe(415);
  });

  it('rejects caps that are not whole numbers from 1 up, naming the value', () => {
    expect(() => mcpRoutes({}, { maxSessionsPerPrincipal: 0 })).toThrow(
      /maxSessionsPerPrincipal of the MCP sessions must be a whole number from 1 up; got 0/,
    );
    expect(() => mcpRoutes({}, { ttlMs: 1.5 })).toThrow(/ttlMs .* got 1.5/);
  });

  it('propose_order over HTTP leaves the proposal pending; read-only tokens cannot propose', async () => {
    const { client } = await connect(alice);
    const result = await client.callTool({
      name: 'propose_order',
      arguments: { symbol: 'KO', side: 'buy', quantity: 5, rationale: 'MCP over HTTP test' },
    });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { id: string; status: string };
    expect(structured.status).toBe('pending');
    expect((await t.orders.getProposal(structured.id)).status).toBe('pending');
    expect(t.broker.received).toHaveLength(0);

    const readOnly = await connect(bob);
    const refused = await readOnly.client.callTool({
      name: 'propose_order',
      arguments: { symbol: 'KO', side: 'buy', quantity: 5, rationale: 'no scope' },
    });
    expect(refused.isError).toBe(true);
    expect((refused.content as { text: string }[])[0]?.text).toMatch(/propose/);
  });
});

describe('progress and cancellation over HTTP', () => {
  it('streams run_backtest progress notifications to the client before the result', async () => {
    const { client } = await connect(alice);
    const seen: { progress: number; total?: number; message?: string }[] = [];
    const result = await client.callTool(
      { name: 'run_backtest', arguments: { strategy: 'sma_cross', symbols: ['KO'] } },
      undefined,
      { onprogress: (progress) => seen.push(progress) },
    );
    expect(result.isError).toBeFalsy();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]?.message).toMatch(/loading prices/);
    for (let k = 1; k < seen.length; k++)
      expect(seen[k]?.progress).toBeGreaterThan(seen[k - 1]?.progress as number);
  });

  it('does not expire a session while one of its calls is still being answered', async () => {
    const { client } = await connect(alice, '/short');
    const controller = new AbortController();
    let finished = false;
    const call = client
      .callTool(
        {
          name: 'optimize_strategy',
          arguments: { strategy: 'macd_trend', symbols: ['KO'], method: 'random', trials: 2000 },
        },
        undefined,
        { signal: controller.signal, resetTimeoutOnProgress: true, onprogress: () => undefined },
      )
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        finished = true;
      });
    // Four TTLs and more than one sweep with no other request: idle by the clock, but busy.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(finished, 'the call ended too soon to show anything').toBe(false);
    expect(short.sessionCount()).toBe(1);
    controller.abort('done');
    await call;
  }, 30_000);

  it('cancels optimize_strategy when the client aborts: the server stops and audits it as cancelled', async () => {
    const { client } = await connect(alice);
    const controller = new AbortController();
    const seen: number[] = [];
    const started = Date.now();
    const call = client.callTool(
      {
        name: 'optimize_strategy',
        arguments: { strategy: 'macd_trend', symbols: ['KO'], method: 'random', trials: 2000 },
      },
      undefined,
      {
        signal: controller.signal,
        onprogress: (progress) => {
          seen.push(progress.progress);
          controller.abort('the person pressed stop');
        },
      },
    );
    await expect(call).rejects.toThrow(/stop|abort/i);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    // The server got notifications/cancelled and stopped the search: the gate's audit entry for
    // this call says so (the client alone giving up would leave it 'ok' once the search ended).
    let outcome: string | undefined;
    for (let tries = 0; tries < 100 && outcome === undefined; tries++) {
      const { rows } = await db.pool.query<{ outcome: string }>(
        `SELECT after->>'outcome' AS outcome FROM audit_log
          WHERE action = 'tool.called' AND entity_id = 'optimize_strategy' AND at >= $1
          ORDER BY seq DESC LIMIT 1`,
        [new Date(started)],
      );
      outcome = rows[0]?.outcome;
      if (outcome === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(outcome).toBe('cancelled');
  }, 30_000);
});
