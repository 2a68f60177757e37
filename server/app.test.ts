import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import type { Database } from '../store/db/open-database.js';
import { createKv, type Kv } from '../store/kv/kv.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { createApp } from './app.js';
import type { HealthReport, HealthSources } from './health.js';
import { createMetrics } from './metrics.js';

describe('the HTTP app', () => {
  let db: TestDatabase;
  let kv: Kv;
  let sources: HealthSources;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    db = await createTestDatabase();
    kv = await createKv({ logger: silentLogger() });
    const database: Database = {
      pool: db.pool,
      mode: 'external',
      location: `127.0.0.1/${db.name}`,
      migrationsApplied: [],
      close: async () => {},
    };
    sources = {
      phase: 'starting',
      config: loadConfig({ DATABASE_URL: db.url }, '/'),
      startedAt: Date.now(),
    };
    app = createApp({
      sources,
      metrics: createMetrics({ version: '0.1.0', mode: 'external' }),
      logger: silentLogger(),
    });
    // Start-up fills these in as components come up.
    sources.database = database;
    sources.kv = kv;
  });
  afterAll(async () => {
    await kv.close();
    await db.drop();
  });

  it('answers 503 "starting" until start-up is done', async () => {
    const response = await app.request('/health');
    expect(response.status).toBe(503);
    expect(((await response.json()) as HealthReport).status).toBe('starting');
    sources.phase = 'ready';
  });

  it('reports every component with latency, the version and the mode', async () => {
    const response = await app.request('/health');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const report = (await response.json()) as HealthReport;
    expect(report).toMatchObject({ status: 'ok', version: '0.1.0', mode: 'external' });
    expect(report.components.database).toMatchObject({
      status: 'ok',
      detail: `external PostgreSQL at 127.0.0.1/${db.name}`,
    });
    expect(report.components.database?.latency_ms).toBeGreaterThanOrEqual(0);
    expect(report.components.cache).toMatchObject({ status: 'ok', detail: 'in-process' });
    expect(report.components.bus).toMatchObject({ status: 'ok', detail: 'in-process' });
    expect(report.components.broker).toEqual({
      status: 'ok',
      detail: 'paper broker built in; set ALPACA_KEY_ID and ALPACA_SECRET_KEY to add Alpaca',
    });
    expect(report.components.vector_store).toEqual({ status: 'down', detail: 'starting' });
    for (const later of ['telegram', 'slack']) {
      expect(report.components[later]?.status, later).toBe('not_configured');
    }
    // No agent given to these sources: the component says it is not there yet.
    expect(report.components.agent).toEqual({ status: 'down', detail: 'starting' });
  });

  it('goes 503 "degraded" and says why when the database stops answering', async () => {
    const broken = {
      ...(sources.database as Database),
      pool: { query: () => Promise.reject(new Error('connection refused')) },
    };
    const healthy = sources.database;
    sources.database = broken as unknown as Database;
    try {
      const response = await app.request('/health');
      expect(response.status).toBe(503);
      const report = (await response.json()) as HealthReport;
      expect(report.status).toBe('degraded');
      expect(report.components.database).toMatchObject({
        status: 'down',
        detail: 'connection refused',
      });
    } finally {
      sources.database = healthy;
    }
  });

  it('exposes Prometheus metrics labelled by route, not by raw path', async () => {
    await app.request('/no/such/page/123');
    const response = await app.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('countersign_build_info{version="0.1.0",mode="external"} 1');
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).not.toContain('/no/such/page');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers unknown routes with a JSON 404 that lists what exists', async () => {
    const response = await app.request('/api/nothing', { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'not_found',
      message:
        'No route for POST /api/nothing. Available: GET /health, GET /metrics, GET /api/proposals, GET /api/proposals/:id, POST /api/proposals/:id/approve, POST /api/proposals/:id/reject, GET /api/tools, POST /api/tools/:name, GET /api/backtests/:id, GET /api/portfolio/:account, GET /api/openapi.json, POST /api/chat, GET /api/chat/threads, POST|GET|DELETE /mcp.',
    });
  });
});
