/** GET /health: the status and latency of every component, the version and the mode. */

import type { AgentStatus } from '../agents/agent-runner.js';
import { describeAgentStatus } from '../agents/runtime.js';
import { APP_VERSION } from '../config/app-info.js';
import type { Config } from '../config/env.js';
import type { Database } from '../store/db/open-database.js';
import type { Kv } from '../store/kv/kv.js';

/** One component's state. `not_configured`: not set up here, or not part of this release yet. */
export interface ComponentHealth {
  status: 'ok' | 'down' | 'degraded' | 'not_configured';
  latency_ms?: number;
  detail?: string;
  /** The model core: the execution provider serving (cpu or cuda). */
  provider?: string;
  /** The model core: features drifted beyond the threshold. */
  drifted?: string[];
}

/** The body of GET /health. */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'starting' | 'stopping';
  version: string;
  mode: 'embedded' | 'external';
  uptime_s: number;
  components: Record<string, ComponentHealth>;
}

/** What the health check looks at; filled in as start-up progresses. */
export interface HealthSources {
  phase: 'starting' | 'ready' | 'stopping';
  config: Config;
  startedAt: number;
  database?: Database;
  kv?: Kv;
  /** The chat engine's model path, once start-up made it. */
  agent?: { status(): AgentStatus };
  /** Retrieval's vector store, once start-up made it. */
  retrieval?: { health(): Promise<ComponentHealth> };
  /** The model core, once start-up made it. */
  models?: { health(): Promise<ComponentHealth & { provider?: string }> };
  /** The Telegram and Slack bots, once start-up made them. */
  bots?: { health(): Record<'telegram' | 'slack', ComponentHealth> };
}

const TIMEOUT_MS = 2_000;
const round = (ms: number) => Math.round(ms * 100) / 100;

async function timed(check: () => Promise<unknown>): Promise<ComponentHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)),
          TIMEOUT_MS,
        );
      }),
    ]);
    return { status: 'ok', latency_ms: round(performance.now() - started) };
  } catch (error) {
    return {
      status: 'down',
      latency_ms: round(performance.now() - started),
      detail: (error as Error).message,
    };
  } finally {
    clearTimeout(timer);
  }
}

// Alpaca's live host (broker/alpaca holds the same constant; only orders/ may import brokers).
const ALPACA_LIVE_HOST = 'api.alpaca.markets';

/**
 * The brokers orders/runtime.ts builds from this configuration: the paper broker always, Alpaca
 * when both keys are set. Not probed: an Alpaca outage shows on the orders, not here.
 */
export function brokerHealth(config: Config): ComponentHealth {
  const { keyId, secretKey, baseUrl } = config.alpaca;
  let alpaca: string;
  if (keyId && secretKey) {
    const host = new URL(baseUrl).hostname;
    alpaca =
      host === ALPACA_LIVE_HOST
        ? `Alpaca LIVE (real money) at ${host}`
        : `Alpaca at ${host}${host === `paper-${ALPACA_LIVE_HOST}` ? ' (paper trading)' : ''}`;
  } else if (keyId || secretKey) {
    alpaca = `Alpaca off: ${keyId ? 'ALPACA_SECRET_KEY' : 'ALPACA_KEY_ID'} is missing (set both)`;
  } else {
    alpaca = 'set ALPACA_KEY_ID and ALPACA_SECRET_KEY to add Alpaca';
  }
  return { status: 'ok', detail: `paper broker built in; ${alpaca}` };
}

/**
 * Components of later releases report `not_configured` with what will turn them on, so that an
 * operator reading /health sees the whole product and what is missing.
 */
function laterComponents(config: Config): Record<string, ComponentHealth> {
  const pending = (setting: string) => ({ status: 'not_configured' as const, detail: setting });
  return {
    telegram: config.telegram.botToken
      ? { status: 'down', detail: 'starting' }
      : pending('set TELEGRAM_BOT_TOKEN'),
    slack: pending(
      config.slack.botToken
        ? 'SLACK_BOT_TOKEN is set; the app arrives in a later release'
        : 'set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET',
    ),
  };
}

/**
 * The conversation engine: `ok` when the model answers (ready), `not_configured` when only slash
 * commands work (slash_only, with why: no Ollama at …, a model not pulled), `degraded` when the
 * model failed lately (slow, garbage); the detail is "ready (…)", "slash_only (…)" or "degraded (…)".
 */
function agentHealth(sources: HealthSources): ComponentHealth {
  if (!sources.agent) return { status: 'down', detail: 'starting' };
  const status = sources.agent.status();
  return {
    status:
      status.state === 'ready' ? 'ok' : status.state === 'degraded' ? 'degraded' : 'not_configured',
    detail: describeAgentStatus(status),
  };
}

/** Checks every component at once; `ok` only when every built component answers. */
export async function checkHealth(sources: HealthSources): Promise<HealthReport> {
  const { database, kv } = sources;
  const [db, shared] = await Promise.all([
    database
      ? timed(() => database.pool.query('SELECT 1'))
      : Promise.resolve<ComponentHealth>({ status: 'down', detail: 'starting' }),
    kv
      ? timed(() => kv.ping())
      : Promise.resolve<ComponentHealth>({ status: 'down', detail: 'starting' }),
  ]);
  if (database && db.status === 'ok') {
    db.detail = `${database.mode === 'embedded' ? 'embedded' : 'external'} PostgreSQL at ${database.location}`;
  }
  const backend = kv?.backend === 'redis' ? 'Redis' : 'in-process';
  const vectorStore: ComponentHealth = sources.retrieval
    ? await sources.retrieval
        .health()
        .catch((error: Error) => ({ status: 'down' as const, detail: error.message }))
    : { status: 'down', detail: 'starting' };
  const models: ComponentHealth = sources.models
    ? await sources.models
        .health()
        .catch((error: Error) => ({ status: 'down' as const, detail: error.message }))
    : { status: 'down', detail: 'starting' };
  const components: Record<string, ComponentHealth> = {
    database: db,
    cache: { ...shared, detail: shared.detail ?? backend },
    bus: { ...shared, detail: shared.detail ?? backend },
    broker: brokerHealth(sources.config),
    agent: agentHealth(sources),
    vector_store: vectorStore,
    models,
    ...(sources.bots?.health() ?? laterComponents(sources.config)),
  };
  const allUp = db.status === 'ok' && shared.status === 'ok';
  return {
    status: sources.phase === 'ready' ? (allUp ? 'ok' : 'degraded') : sources.phase,
    version: APP_VERSION,
    mode: sources.config.databaseUrl ? 'external' : 'embedded',
    uptime_s: Math.round((Date.now() - sources.startedAt) / 1000),
    components,
  };
}
