/**
 * /api/backtests/:id and /api/portfolio/:account through the whole app (app.request) against the
 * real database: 503 before start-up fills the shared services, then 200 with a read token, 401
 * without one, 403 without the 'read' scope, 404 for an unknown id or account, 400 for a
 * malformed id, and both paths in the OpenAPI document and the 404 list.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createApiToken } from '../store/repos/api-tokens-repo.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { invokeTool } from '../tools/invoke.js';
import { runBacktestTool } from '../tools/run-backtest.js';
import { createApp } from './app.js';
import { createMetrics } from './metrics.js';
import type { ApiServices } from './proposals-routes.js';

let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let api: ApiServices;
let readToken: string;
let proposeOnlyToken: string;
let backtestId: string;
let t: ReturnType<typeof testOrders>;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [path.join(SAMPLE_DIR, 'KO.csv.gz')]);
  t = testOrders(db.pool);
  t.prices.set('KO', '54.61');
  readToken = await createApiToken(db.pool, {
    principal: 'reader',
    role: 'viewer',
    scopes: ['read'],
  });
  proposeOnlyToken = await createApiToken(db.pool, { principal: 'writer', scopes: ['propose'] });
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'reader'",
  );
  const run = await invokeTool(
    runBacktestTool,
    { strategy: 'sma_cross', symbols: ['KO'], params: { fast: 10, slow: 40 } },
    {
      principal: { id: rows[0]?.id as string, handle: 'reader', scopes: ['read'] },
      pool: db.pool,
      orders: t.orders,
      channel: 'rest',
      proposerKind: 'api_client',
      logger: silentLogger(),
      progress: () => undefined,
      signal: new AbortController().signal,
      now: () => new Date(),
    },
  );
  if (!run.ok) throw new Error(run.message);
  backtestId = run.output.id as string;
  // Start-up fills this one object in later; the app's routes must see that, not a copy.
  api = {};
  app = createApp({
    sources: {
      phase: 'starting',
      config: loadConfig({ DATABASE_URL: db.url }, '/'),
      startedAt: Date.now(),
    },
    metrics: createMetrics({ version: '0.1.0', mode: 'external' }),
    logger: silentLogger(),
    api,
  });
});

afterAll(async () => {
  await db?.drop();
});

const get = (url: string, token?: string) =>
  app.request(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

describe('resource routes', () => {
  it('answer 503 until start-up has filled in the services', async () => {
    for (const url of [`/api/backtests/${backtestId}`, '/api/portfolio/paper']) {
      const response = await get(url, readToken);
      expect(response.status, url).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'starting' });
    }
    api.pool = db.pool;
    api.orders = t.orders;
  });

  it('GET /api/backtests/:id answers the stored run', async () => {
    const response = await get(`/api/backtests/${backtestId}`, readToken);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: backtestId,
      resource: `backtest://${backtestId}`,
      status: 'done',
      strategy: 'sma_cross',
      params: { fast: 10, slow: 40 },
      symbols: ['KO'],
      currency: 'USD',
    });
    expect((body.equity_curve as unknown[]).length).toBeLessThanOrEqual(500);
    expect((body.trades as unknown[]).length).toBe(
      (body.metrics as { trade_count: number }).trade_count,
    );
  });

  it('GET /api/portfolio/:account answers what get_portfolio answers', async () => {
    const response = await get('/api/portfolio/paper', readToken);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      account: 'paper',
      currency: 'USD',
      positions: [],
    });
    const { rows } = await db.pool.query(
      "SELECT channel, after FROM audit_log WHERE action = 'tool.called' AND entity_id = 'get_portfolio' ORDER BY seq DESC LIMIT 1",
    );
    expect(rows[0]).toMatchObject({ channel: 'rest', after: { outcome: 'ok' } });
  });

  it('answer 401 without a token and 403 without the read scope', async () => {
    for (const url of [`/api/backtests/${backtestId}`, '/api/portfolio/paper']) {
      const anonymous = await get(url);
      expect(anonymous.status, url).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: 'unauthorized' });
      const proposeOnly = await get(url, proposeOnlyToken);
      expect(proposeOnly.status, url).toBe(403);
      expect(((await proposeOnly.json()) as { message: string }).message).toMatch(
        /needs the 'read' scope/,
      );
    }
  });

  it('answer 404 for an unknown backtest or account and 400 for a malformed id, naming it', async () => {
    const unknownId = '00000000-0000-4000-8000-000000000000';
    const unknown = await get(`/api/backtests/${unknownId}`, readToken);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      error: 'not_found',
      message: expect.stringContaining(unknownId),
    });
    const malformed = await get('/api/backtests/nope', readToken);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      error: 'bad_input',
      message: expect.stringContaining('"nope" is not a uuid'),
    });
    const account = await get('/api/portfolio/nosuch', readToken);
    expect(account.status).toBe(404);
    expect(((await account.json()) as { message: string }).message).toContain('nosuch');
  });

  it('are in the OpenAPI document and the 404 list, and leave the other /api routes alone', async () => {
    const doc = (await (await get('/api/openapi.json')).json()) as {
      paths: Record<string, { get?: { operationId: string } }>;
    };
    expect(doc.paths['/api/backtests/{id}']?.get?.operationId).toBe('getBacktest');
    expect(doc.paths['/api/portfolio/{account}']?.get?.operationId).toBe('getPortfolioResource');
    const missing = await get('/api/nothing-here', readToken);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toContain(
      'GET /api/backtests/:id, GET /api/portfolio/:account',
    );
    const tools = await get('/api/tools', readToken);
    expect(tools.status).toBe(200);
  });
});
