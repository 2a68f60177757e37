/** Starting and stopping the whole server: database, shared state, sample prices, HTTP. */
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { AgentStatus } from '../agents/agent-runner.js';
import { createChatRuntime } from '../agents/runtime.js';
import { startBots } from '../bots/runtime.js';
import { APP_VERSION } from '../config/app-info.js';
import { type Config, ConfigError } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import { startModels } from '../models/start.js';
import { createOrdersRuntime, type OrdersRuntime } from '../orders/runtime.js';
import { createRetrievalRuntime } from '../rag/runtime.js';
import { DataDirLock } from '../store/db/data-dir-lock.js';
import { type Database, openDatabase } from '../store/db/open-database.js';
import { createKv, type Kv } from '../store/kv/kv.js';
import { attachPriceCache, createPriceCache } from '../store/market-data/price-cache.js';
import { loadSampleIfEmpty } from '../store/market-data/sample.js';
import { syncEnvApiTokens } from '../store/repos/api-tokens-repo.js';
import { marketDataSummary } from '../store/repos/bars-repo.js';
import { PrincipalInputError } from '../store/repos/principals-repo.js';
import { createTokenCache } from '../store/repos/token-cache.js';
import { TOOL_CALL_LIMIT } from '../tools/invoke.js';
import { createApp } from './app.js';
import { formatBanner } from './banner.js';
import type { HealthSources } from './health.js';
import { AUTH_FAILURE_LIMIT, DECISION_LIMIT, type HttpLimiters } from './http-limits.js';
import { createMetrics } from './metrics.js';
import type { ApiServices } from './proposals-routes.js';

/** The HTTP port is taken by another process. */
export class PortInUseError extends Error {
  constructor(host: string, port: number) {
    super(
      `Port ${port} on ${host} is already in use. Is Countersign already running (try GET http://${host}:${port}/health)? ` +
        'Stop the other process, or set PORT to a free port.',
    );
    this.name = 'PortInUseError';
  }
}

/** A started server. */
export interface RunningServer {
  url: string;
  database: Database;
  kv: Kv;
  /** Stops taking requests, lets running ones finish (up to 10 s), then closes Redis and the database. */
  stop(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port) : error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

async function closeHttp(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

/** API_TOKENS that the database cannot take (e.g. a token listed twice); the message never holds a token. */
class ApiTokensConfigError extends ConfigError {
  constructor(message: string) {
    super([{ variable: 'API_TOKENS', value: '(not shown)', expected: message }]);
    this.message = `Invalid configuration:\n  ${message}`;
  }
}

/** Makes the database's env tokens match API_TOKENS (see syncEnvApiTokens) and logs the outcome. */
async function syncApiTokens(database: Database, config: Config, logger: Logger): Promise<void> {
  try {
    const sync = await syncEnvApiTokens(database.pool, config.apiTokens);
    const { active, disabledPrincipals, ...changes } = sync;
    logger.info(
      { active, ...Object.fromEntries(Object.entries(changes).map(([k, ids]) => [k, ids.length])) },
      `API_TOKENS: ${active} env token${active === 1 ? '' : 's'} active`,
    );
    if (disabledPrincipals.length > 0)
      logger.warn(
        { principals: disabledPrincipals },
        'API_TOKENS lists tokens of disabled principals; those tokens do not work',
      );
  } catch (error) {
    throw error instanceof PrincipalInputError ? new ApiTokensConfigError(error.message) : error;
  }
}

/**
 * Starts everything in order: the data-directory lock (embedded mode), the HTTP listener (so a
 * taken port fails fast, and /health says `starting` meanwhile), the database (embedded or
 * DATABASE_URL; migrated; its API_TOKENS identities synced), Redis or its in-process stand-ins,
 * and the sample prices when the database has none. `onFatal` is called if the embedded PostgreSQL dies under us.
 */
export async function startServer(options: {
  config: Config;
  logger: Logger;
  banner?: (text: string) => void;
  onFatal?: (error: Error) => void;
}): Promise<RunningServer> {
  const { config, logger } = options;
  const started = performance.now();
  const sources: HealthSources = { phase: 'starting', config, startedAt: Date.now() };
  const lock = config.databaseUrl ? undefined : await DataDirLock.acquire(config.dataDir);
  const metrics = createMetrics({
    version: APP_VERSION,
    mode: config.databaseUrl ? 'external' : 'embedded',
  });
  const api: ApiServices = {};
  const closers: (() => Promise<void>)[] = [];
  const app = createApp({ sources, metrics, logger, api, onClose: (close) => closers.push(close) });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const { host, port } = config.http;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let database: Database | undefined;
  let kv: Kv | undefined;
  let orders: OrdersRuntime | undefined;
  try {
    await listen(server, port, host);
    database = await openDatabase({ config, logger, lock });
    await syncApiTokens(database, config, logger);
    sources.database = database;
    kv = await createKv({ redisUrl: config.redisUrl, logger });
    sources.kv = kv;
    const sample = await loadSampleIfEmpty(database.pool, logger);
    orders = createOrdersRuntime({ pool: database.pool, bus: kv.bus, config, logger });
    orders.startBackground();
    api.pool = database.pool;
    api.orders = orders.orders;
    api.limiter = kv.rateLimiter(TOOL_CALL_LIMIT);
    const limiters: HttpLimiters = {
      auth: kv.rateLimiter(AUTH_FAILURE_LIMIT),
      decisions: kv.rateLimiter(DECISION_LIMIT),
    };
    api.limiters = limiters;
    const tokens = await createTokenCache(database.pool, { logger });
    closers.push(() => tokens.close());
    api.tokens = tokens;
    // Price series in memory for every tool call on this pool, forgotten on any import.
    const priceCache = await createPriceCache(database.pool, { logger });
    closers.push(() => priceCache.close());
    attachPriceCache(database.pool, priceCache);
    void priceCache
      .warm()
      .then(() => logger.debug(priceCache.stats(), 'price cache loaded'))
      .catch((error: Error) =>
        logger.warn({ error: error.message }, 'price cache: first load failed'),
      );
    // The model core: the screening model (trained on the stored prices at first start, in a
    // worker thread), drift checked after every import.
    const models = await startModels({ pool: database.pool, config, logger, bus: kv.bus });
    closers.push(() => models.close());
    sources.models = models.service;
    // Retrieval over the trade history: Chroma (CHROMA_URL, or the packaged server under
    // DATA_DIR) starting in the background; keyword search answers until it is up.
    const rag = createRetrievalRuntime({ pool: database.pool, config, logger, bus: kv.bus });
    closers.push(() => rag.close());
    api.retrieval = rag.retrieval;
    sources.retrieval = rag;
    // The conversation engine (POST /api/chat), with the Ollama agent when one answers.
    const chat = createChatRuntime({
      retrieval: rag.retrieval,
      pool: database.pool,
      orders: orders.orders,
      config,
      logger,
      limiter: api.limiter,
    });
    api.chat = chat.engine;
    sources.agent = chat.agent;
    // Telegram (and later Slack): thin channels over the engine; proposals reach linked approvers.
    const bots = await startBots({
      config,
      pool: database.pool,
      orders: orders.orders,
      engine: chat.engine,
      bus: kv.bus,
      logger,
    });
    closers.push(() => bots.close());
    api.bots = bots;
    sources.bots = bots;
    const prices = await marketDataSummary(database.pool);
    // The banner says what the agent is; a silent Ollama host is not waited for past 2 s.
    const agentStatus = await Promise.race([
      chat.checked,
      new Promise<AgentStatus>((resolve) =>
        setTimeout(() => resolve(chat.agent.status()), 2000).unref(),
      ),
    ]);
    await lock?.update({ httpUrl: url });
    sources.phase = 'ready';
    const startSeconds = (performance.now() - started) / 1000;
    logger.info(
      {
        url,
        mode: database.mode,
        database: database.location,
        kv: kv.backend,
        prices,
        startSeconds,
      },
      'Countersign is up',
    );
    options.banner?.(
      formatBanner({
        config,
        url,
        database,
        kv,
        prices,
        sampleLoaded: sample !== undefined,
        startSeconds,
        agent: agentStatus,
      }),
    );
  } catch (error) {
    if (server.listening) await closeHttp(server, 0);
    await api.tokens?.close();
    await orders?.close();
    await kv?.close();
    await database?.close();
    await lock?.release();
    throw error;
  }

  const running = { database, kv, orders: orders as OrdersRuntime };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      sources.phase = 'stopping';
      logger.info('shutting down: no new requests; letting running ones finish');
      await Promise.all(closers.map((close) => close().catch(() => undefined)));
      await closeHttp(server, 10_000);
      await running.orders.close();
      await running.kv.close();
      await running.database.close();
      logger.info('stopped cleanly');
    })();
    return stopping;
  };
  void database.embedded?.exited.then((code) => {
    if (stopping) return;
    options.onFatal?.(
      new Error(
        `the embedded PostgreSQL exited on its own (code ${code}); see ${database.embedded?.logFile}`,
      ),
    );
  });
  return { url, database, kv, stop };
}
