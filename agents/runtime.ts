/**
 * The conversation engine as a process runs it: the engine over the tool registry, with the
 * Ollama agent from the configuration (OLLAMA_HOST, OLLAMA_MODEL, OLLAMA_NUM_CTX,
 * OLLAMA_TIMEOUT_SECONDS, AGENT_MAX_TOOL_CALLS). The server and `countersign chat` build it
 * here; the first check of Ollama runs in the background so nothing waits for it.
 */
import type { Config } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import type { Orders } from '../orders/service.js';
import type { Pool } from '../store/db/pool.js';
import type { RateLimiter } from '../store/kv/rate-limiter.js';
import type { AgentStatus } from './agent-runner.js';
import { type ChatEngine, type ChatEngineDeps, createChatEngine } from './engine.js';
import { createOllamaAgent, type OllamaAgent } from './ollama-agent.js';

export interface ChatRuntime {
  engine: ChatEngine;
  agent: OllamaAgent;
  /** Resolves with the first status (ready, slash_only or degraded) once Ollama was asked. */
  checked: Promise<AgentStatus>;
}

/** "ready (qwen3:8b on Ollama 0.12 at …)", "slash_only (no Ollama at …)", "degraded (…)". */
export function describeAgentStatus(status: AgentStatus): string {
  return `${status.state}${status.detail ? ` (${status.detail})` : ''}`;
}

export function createChatRuntime(options: {
  pool: Pool;
  orders: Orders;
  config: Config;
  logger: Logger;
  limiter?: RateLimiter;
  retrieval?: ChatEngineDeps['retrieval'];
}): ChatRuntime {
  const { config } = options;
  const agent = createOllamaAgent({
    host: config.ollama.host,
    model: config.ollama.model,
    numCtx: config.ollama.numCtx,
    timeoutMs: config.ollama.timeoutMs,
    maxToolCalls: config.agent.maxToolCalls,
    logger: options.logger,
  });
  const engine = createChatEngine({
    pool: options.pool,
    orders: options.orders,
    logger: options.logger,
    agent,
    ...(options.limiter ? { limiter: options.limiter } : {}),
    ...(options.retrieval ? { retrieval: options.retrieval } : {}),
  });
  return { engine, agent, checked: agent.probe() };
}
