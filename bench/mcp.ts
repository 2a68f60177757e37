/**
 * MCP over Streamable HTTP on a throwaway database with the bundled sample: 50 sessions calling
 * get_quote for 5 s each way — as fast as they can (calls per second) and at fixed offered rates
 * (latency percentiles) — from a load generator in a worker thread, and one sma_cross backtest
 * over one symbol's full history end to end over HTTP through the SDK's client.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Hono } from 'hono';
import type { Config } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { createOrdersRuntime } from '../orders/runtime.js';
import { mcpRoutes } from '../server/mcp-routes.js';
import { migrate } from '../store/db/migrate.js';
import { createPool } from '../store/db/pool.js';
import { createKv } from '../store/kv/kv.js';
import { MemoryBus } from '../store/kv/memory-bus.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { SAMPLE_DIR } from '../store/market-data/sample.js';
import { createApiToken } from '../store/repos/api-tokens-repo.js';
import { createTokenCache } from '../store/repos/token-cache.js';
import { TOOL_CALL_LIMIT } from '../tools/invoke.js';
import { freshDatabase } from './fresh-database.js';
import { runLoad } from './mcp-load.js';

const SESSIONS = 50;
const DURATION_MS = 5_000;
const OPEN_RATES = [100, 250, 500];

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export async function benchMcp(config: Config, emit: (line: object) => void): Promise<void> {
  const database = await freshDatabase(config);
  const pool = createPool(database.url, { max: 16 });
  const logger = silentLogger();
  let server: http.Server | undefined;
  const clients: Client[] = [];
  try {
    await migrate(pool, logger);
    await importPaths(pool, [SAMPLE_DIR]);
    // 50 sessions of 50 people: the rate limit is per principal (bursts of 200, 50 a second).
    const tokens: string[] = [];
    for (let k = 0; k < SESSIONS; k++)
      tokens.push(
        await createApiToken(pool, {
          principal: `bench-${k}`,
          role: 'trader',
          scopes: ['read', 'propose'],
        }),
      );
    const token = tokens[0] as string;
    const kv = await createKv({ redisUrl: config.redisUrl, logger });
    const tokenCache = await createTokenCache(pool, { logger });
    const runtime = createOrdersRuntime({ pool, bus: new MemoryBus(logger), config, logger });
    const routes = mcpRoutes(
      {
        pool,
        orders: runtime.orders,
        logger,
        limiter: kv.rateLimiter(TOOL_CALL_LIMIT),
        tokens: tokenCache,
      },
      { maxSessions: SESSIONS + 10 },
    );
    const app = new Hono();
    app.route('/mcp', routes.app);
    server = createAdaptorServer({ fetch: app.fetch }) as http.Server;
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    // get_quote from 50 sessions, the load generated in a worker thread of its own.
    const load = {
      url: url.href,
      tokens,
      sessions: SESSIONS,
      tool: 'get_quote',
      args: { symbol: 'KO' },
    };
    const closed = await runLoad({ ...load, mode: 'closed', durationMs: DURATION_MS });
    if (closed.errors > 0) throw new Error(`get_quote failed: ${closed.firstError}`);
    emit({
      bench: 'mcp_get_quote_http',
      load: 'closed: one call in flight per session',
      database: database.server,
      sessions: SESSIONS,
      calls: closed.calls,
      calls_per_s: Math.round((closed.calls / closed.elapsedMs) * 1000),
      p50_ms: percentile(closed.laps, 0.5),
      p95_ms: percentile(closed.laps, 0.95),
      target_calls_per_s: 2000,
    });
    // Latency at a fixed offered load (open loop): with 50 calls always in flight, Little's law
    // makes the mean latency 50 / throughput, so the p95 target is a question of a given rate.
    for (const rate of OPEN_RATES) {
      const open = await runLoad({ ...load, mode: 'open', rate, durationMs: DURATION_MS });
      emit({
        bench: 'mcp_get_quote_http_latency',
        load: `open: ${rate} calls/s spread over the sessions`,
        sessions: SESSIONS,
        offered_calls_per_s: rate,
        calls: open.calls,
        errors: open.errors,
        calls_per_s: Math.round((open.calls / open.elapsedMs) * 1000),
        p50_ms: percentile(open.laps, 0.5),
        p95_ms: percentile(open.laps, 0.95),
        p99_ms: percentile(open.laps, 0.99),
        target_p95_ms: 10,
      });
    }

    const connect = async () => {
      const client = new Client({ name: 'bench', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(url, {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      clients.push(client);
      return client;
    };
    const sessions = [await connect()];
    const listed = await (sessions[0] as Client).listTools();
    emit({
      bench: 'mcp_tools_list',
      tools: listed.tools.length,
      bytes: Buffer.byteLength(JSON.stringify(listed)),
      target_bytes: 30_000,
    });

    // One backtest end to end over HTTP, on a session of its own.
    const client = sessions[0] as Client;
    const times: number[] = [];
    for (let k = 0; k < 22; k++) {
      const begun = performance.now();
      const result = await client.callTool({
        name: 'run_backtest',
        arguments: { strategy: 'sma_cross', symbols: ['KO'] },
      });
      if (result.isError) throw new Error(`run_backtest failed: ${JSON.stringify(result.content)}`);
      if (k >= 2) times.push(performance.now() - begun);
    }
    times.sort((a, b) => a - b);
    emit({
      bench: 'mcp_run_backtest_http',
      strategy: 'sma_cross',
      symbols: 1,
      runs: times.length,
      median_ms: percentile(times, 0.5),
      target_ms: 50,
    });
    for (const one of clients) await one.close().catch(() => undefined);
    await routes.close();
    await runtime.close();
    await kv.close();
    await tokenCache.close();
  } finally {
    if (server) {
      const open = server;
      open.closeAllConnections();
      await new Promise((resolve) => open.close(resolve));
    }
    await pool.end();
    await database.dispose();
  }
}
