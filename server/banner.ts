/**
 * The start-up banner: what runs where (the MCP, REST and OpenAPI addresses and the brokers
 * included), and what is not configured yet.
 */

import type { AgentStatus } from '../agents/agent-runner.js';
import { describeAgentStatus } from '../agents/runtime.js';
import { APP_VERSION } from '../config/app-info.js';
import type { Config } from '../config/env.js';
import type { Database } from '../store/db/open-database.js';
import type { Kv } from '../store/kv/kv.js';
import type { MarketDataSummary } from '../store/repos/bars-repo.js';
import { brokerHealth } from './health.js';

/** Everything the banner reports. */
export interface BannerFacts {
  config: Config;
  url: string;
  database: Database;
  kv: Kv;
  prices: MarketDataSummary;
  sampleLoaded: boolean;
  startSeconds: number;
  /** The chat engine's model path as first checked. */
  agent?: AgentStatus;
}

/** Lines for a human at a terminal (the JSON logs carry the same facts for machines). */
export function formatBanner(facts: BannerFacts): string {
  const { config, database, kv, prices } = facts;
  const db = database.embedded
    ? `embedded PostgreSQL ${database.embedded.version} at ${database.location} (data ${database.embedded.clusterDir}, log ${database.embedded.logFile})`
    : `PostgreSQL at ${database.location} (DATABASE_URL)`;
  const shared =
    kv.backend === 'redis'
      ? 'cache, bus, locks and rate limits on Redis (REDIS_URL)'
      : 'cache, bus, locks and rate limits in this process (set REDIS_URL to share them across processes)';
  const priceLine =
    prices.bars === 0
      ? 'none yet: import some with `npx countersign import <file|folder>`'
      : `${prices.symbols} symbols, ${prices.bars.toLocaleString('en-US')} daily bars, ${prices.firstDate} → ${prices.lastDate}${facts.sampleLoaded ? ' (the bundled sample, loaded on this first start)' : ''}`;

  const later: string[] = [];
  if (!config.telegram.botToken)
    later.push('Telegram       bot with approval buttons and alerts (TELEGRAM_BOT_TOKEN)');
  if (!config.slack.botToken)
    later.push(
      'Slack          app with approval buttons and alerts (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)',
    );
  if (config.apiTokens.length === 0)
    later.push(
      'API tokens     bearer tokens for REST and MCP over HTTP (`countersign token create`, or API_TOKENS)',
    );

  return [
    `Countersign ${APP_VERSION} is up in ${facts.startSeconds.toFixed(1)} s: the assistant drafts, the human countersigns.`,
    `  HTTP         ${facts.url}   (GET /health, GET /metrics)`,
    `  MCP          ${facts.url}/mcp   (Streamable HTTP, bearer token)`,
    `  REST         ${facts.url}/api   (GET /api/tools, POST /api/tools/:name, /api/proposals)`,
    `  OpenAPI      ${facts.url}/api/openapi.json`,
    `  Chat         ${facts.url}/api/chat   (Server-Sent Events, bearer token; \`countersign chat\` in a terminal)`,
    `  Agent        ${facts.agent ? describeAgentStatus(facts.agent) : 'not checked'}; model ${config.ollama.model} at ${config.ollama.host} (OLLAMA_HOST, OLLAMA_MODEL)`,
    `  Retrieval    search_trade_history over ${config.chromaUrl ? `Chroma at ${config.chromaUrl} (CHROMA_URL)` : 'the embedded Chroma server (DATA_DIR/chroma, starting in the background)'}, embedder ${config.rag.embedder === 'ollama' ? `ollama:${config.ollama.embedModel}` : 'hash-v1 (weight-free)'}; keywords over PostgreSQL meanwhile`,
    `  Database     ${db}`,
    `  Shared state ${shared}`,
    `  Prices       ${priceLine}`,
    `  Brokers      ${brokerHealth(config).detail}`,
    ...(later.length > 0 ? ['  Not configured (see the README for each):'] : []),
    ...later.map((line) => `    ${line}`),
    '  Stop with Ctrl-C; it shuts down cleanly.',
    '',
  ].join('\n');
}
