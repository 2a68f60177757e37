/**
 * /api/tools and /api/openapi.json through app.request against the real database: a tool call
 * with a token, 401 without one, 404 for an unknown tool, 400 with a message for bad input, 403
 * for a write tool on a read-only token, 429 with Retry-After past the per-principal limit, and an
 * OpenAPI 3.1 document with a path per tool.
 */
import path from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { testOrders } from '../orders/test-support.js';
import { MemoryRateLimiter } from '../store/kv/memory-rate-limiter.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createApiToken } from '../store/repos/api-tokens-repo.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { TOOLS } from '../tools/index.js';
import { openApiRoute } from './openapi.js';
import { toolsRoutes } from './tools-routes.js';

let db: TestDatabase;
let app: Hono;
let limited: Hono;
let readToken: string;
let proposeToken: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [path.join(SAMPLE_DIR, 'KO.csv.gz')]);
  const t = testOrders(db.pool);
  t.prices.set('KO', '54.61');
  readToken = await createApiToken(db.pool, { principal: 'reader', scopes: ['read'] });
  proposeToken = await createApiToken(db.pool, {
    principal: 'trader',
    role: 'trader',
    scopes: ['read', 'propose'],
  });
  app = new Hono();
  app.route('/api/tools', toolsRoutes({ pool: db.pool, orders: t.orders, logger: silentLogger() }));
  app.route('/api', openApiRoute());
  // One call in a burst, then one every 4 s.
  const limiter = new MemoryRateLimiter({
    name: 'tool-calls-test',
    capacity: 1,
    refillPerSecond: 0.25,
  });
  limited = new Hono();
  limited.route(
    '/api/tools',
    toolsRoutes({ pool: db.pool, orders: t.orders, logger: silentLogger(), limiter }),
  );
});

afterAll(async () => {
  await db?.drop();
});

const call = (name: string, body: unknown, token?: string) =>
  app.request(`/api/tools/${name}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('/api/tools', () => {
  it('POST /api/tools/get_quote with a token answers the output', async () => {
    const response = await call('get_quote', { symbol: 'KO' }, readToken);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { output: { symbol: string; price: number } };
    expect(body.output.symbol).toBe('KO');
    expect(typeof body.output.price).toBe('number');
    const { rows } = await db.pool.query(
      "SELECT channel, after FROM audit_log WHERE action = 'tool.called' ORDER BY seq DESC LIMIT 1",
    );
    expect(rows[0]).toMatchObject({ channel: 'rest', after: { outcome: 'ok' } });
  });

  it('answers 401 without a token', async () => {
    const response = await call('get_quote', { symbol: 'KO' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('answers 404 for an unknown tool, listing the valid names', async () => {
    const response = await call('place_order_now', {}, readToken);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('not_found');
    expect(body.message).toMatch(/get_quote.*propose_order/);
  });

  it('answers 400 with a readable message for bad input and for a body that is not JSON', async () => {
    const response = await call('get_quote', { symbol: 5 }, readToken);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; message: string };
    expect(body).toMatchObject({ error: 'bad_input' });
    expect(body.message).toMatch(/symbol must be a string/);
    const notJson = await call('get_quote', '{nope', readToken);
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: 'bad_input' });
  });

  it('answers 404 for a symbol without data and 403 for a write tool on a read-only token', async () => {
    const missing = await call('get_quote', { symbol: 'NOPE' }, readToken);
    expect(missing.status).toBe(404);
    const forbidden = await call(
      'propose_order',
      { symbol: 'KO', side: 'buy', quantity: 1, rationale: 'REST test' },
      readToken,
    );
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { message: string }).message).toMatch(/'propose' scope/);
  });

  it('propose_order with the propose scope only creates a pending proposal', async () => {
    const response = await call(
      'propose_order',
      { symbol: 'KO', side: 'buy', quantity: 1, rationale: 'REST test' },
      proposeToken,
    );
    expect(response.status).toBe(200);
    const { output } = (await response.json()) as { output: { id: string; status: string } };
    expect(output.status).toBe('pending');
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM orders');
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('answers 429 rate_limited with Retry-After in whole seconds past the per-principal limit', async () => {
    const once = () =>
      limited.request('/api/tools/get_quote', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${readToken}` },
        body: JSON.stringify({ symbol: 'KO' }),
      });
    expect((await once()).status).toBe(200);
    const refused = await once();
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: 'rate_limited' });
    expect(refused.headers.get('Retry-After')).toBe('4');
  });

  it('GET /api/tools lists every tool', async () => {
    const response = await app.request('/api/tools', {
      headers: { Authorization: `Bearer ${readToken}` },
    });
    expect(response.status).toBe(200);
    const { tools } = (await response.json()) as { tools: { name: string; writes: boolean }[] };
    expect(tools.map((tool) => tool.name)).toEqual(TOOLS.map((tool) => tool.name));
    expect(tools.find((tool) => tool.name === 'propose_order')?.writes).toBe(true);
  });
});

describe('/api/openapi.json', () => {
  it('is an OpenAPI 3.1 document with a POST path per tool, served without auth', async () => {
    const response = await app.request('/api/openapi.json');
    expect(response.status).toBe(200);
    const doc = JSON.parse(await response.text()) as {
      openapi: string;
      paths: Record<string, { post?: { requestBody: { content: Record<string, unknown> } } }>;
      components: { securitySchemes: Record<string, { scheme: string }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const tool of TOOLS) {
      const post = doc.paths[`/api/tools/${tool.name}`]?.post;
      expect(post, tool.name).toBeDefined();
      const content = post?.requestBody.content['application/json'] as
        | { schema: { type: string } }
        | undefined;
      expect(content?.schema.type).toBe('object');
    }
    expect(doc.paths['/api/proposals/{id}/approve']).toBeDefined();
    expect(doc.components.securitySchemes.bearer?.scheme).toBe('bearer');
  });
});
