/**
 * MCP over Streamable HTTP on a throwaway database with the bundled sample: 50 client sessions
 * calling get_quote at once for about 5 s (calls per second, latency percentiles), and one
 * sma_cross backtest over one symbol's full history end to end over HTTP.
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
import { MemoryBus } from '../store/kv/memory-bus.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { SAMPLE_DIR } from '../store/market-data/sample.js';
import { createApiToken } from '../store/repos/principals-repo.js';
import { freshDatabase } from './fresh-database.js';

const SESSIONS = 50;
const DURATION_MS = 5_000;

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
    const token = await createApiToken(pool, {
      principal: 'bench',
      role: 'trader',
      scopes: ['read', 'propose'],
    });
    const runtime = createOrdersRuntime({ pool, bus: new MemoryBus(logger), config, logger });
    const routes = mcpRoutes(
      { pool, orders: runtime.orders, logger },
      { maxSessions: SESSIONS + 10 },
    );
    const app = new Hono();
    app.route('/mcp', routes.app);
    server = createAdaptorServer({ fetch: app.fetch }) as http.Server;
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
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

    // get_quote from 50 sessions at once.
    const sessions = await Promise.all(Array.from({ length: SESSIONS }, connect));
    for (const client of sessions)
      await client.callTool({ name: 'get_quote', arguments: { symbol: 'KO' } }); // warm-up
    const laps: number[] = [];
    const started = performance.now();
    const until = started + DURATION_MS;
    await Promise.all(
      sessions.map(async (client) => {
        while (performance.now() < until) {
          const begun = performance.now();
          const result = await client.callTool({ name: 'get_quote', arguments: { symbol: 'KO' } });
          if (result.isError)
            throw new Error(`get_quote failed: ${JSON.stringify(result.content)}`);
          laps.push(performance.now() - begun);
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    laps.sort((a, b) => a - b);
    emit({
      bench: 'mcp_get_quote_http',
      database: database.server,
      sessions: SESSIONS,
      calls: laps.length,
      calls_per_s: Math.round((laps.length / elapsedMs) * 1000),
      p50_ms: percentile(laps, 0.5),
      p95_ms: percentile(laps, 0.95),
      target_p95_ms: 10,
      target_calls_per_s: 2000,
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
