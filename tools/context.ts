/**
 * The one place a tool context is built. Every transport (MCP, REST, the CLI, and later the chat
 * engine, Telegram, Slack and the web console) says who is calling, through which channel, and
 * what kind of proposer a proposal made on this call is; the gate (tools/invoke.ts), the audit
 * entry and the proposal record all take these from the context, so no tool hard-codes them.
 */
import type { Logger } from '../config/logger.js';
import { silentLogger } from '../config/logger.js';
import type { Orders } from '../orders/service.js';
import type { ProposerKind } from '../orders/types.js';
import type { Pool } from '../store/db/pool.js';
import type { TaskRunner } from '../store/jobs/task-runner.js';
import type { RateLimiter } from '../store/kv/rate-limiter.js';
import type { ToolChannel, ToolContext, ToolPrincipal } from './tool.js';

export { TOOL_CHANNELS, type ToolChannel } from './tool.js';

/**
 * Who drafted a proposal made through each channel, unless the transport says otherwise: an MCP
 * client's model, a REST client's program, the person at the terminal; the chat engine's agent
 * (a slash command the person typed is the person: the chat engine passes 'principal' then).
 */
export const DEFAULT_PROPOSER_KIND: Record<ToolChannel, ProposerKind> = {
  mcp: 'mcp_client',
  rest: 'api_client',
  cli: 'principal',
  chat: 'agent',
  telegram: 'agent',
  slack: 'agent',
  web: 'agent',
};

/** What a transport knows about a call. */
export interface ToolContextInput {
  principal: ToolPrincipal;
  pool: Pool;
  orders: Orders;
  channel: ToolChannel;
  /** Default: DEFAULT_PROPOSER_KIND of the channel. */
  proposerKind?: ProposerKind;
  logger?: Logger;
  progress?: ToolContext['progress'];
  signal?: AbortSignal;
  now?: () => Date;
  limiter?: RateLimiter;
  confirm?: ToolContext['confirm'];
  /** Research tools read bars from these files instead of the database (the CLI's --data). */
  seriesFiles?: string;
  /** The process's retrieval (rag/), when it has one. */
  retrieval?: ToolContext['retrieval'];
  /** Where optimizations run their backtests (the CLI's threads or queue); the transport closes it. */
  taskRunner?: TaskRunner;
}

/** The context of one tool call. */
export function createToolContext(input: ToolContextInput): ToolContext {
  return {
    principal: input.principal,
    pool: input.pool,
    orders: input.orders,
    channel: input.channel,
    proposerKind: input.proposerKind ?? DEFAULT_PROPOSER_KIND[input.channel],
    logger: input.logger ?? silentLogger(),
    progress: input.progress ?? (() => undefined),
    signal: input.signal ?? new AbortController().signal,
    now: input.now ?? (() => new Date()),
    ...(input.limiter ? { limiter: input.limiter } : {}),
    ...(input.confirm ? { confirm: input.confirm } : {}),
    ...(input.seriesFiles !== undefined ? { seriesFiles: input.seriesFiles } : {}),
    ...(input.retrieval ? { retrieval: input.retrieval } : {}),
    ...(input.taskRunner ? { taskRunner: input.taskRunner } : {}),
  };
}

/** The proposer and channel a proposal made on this call is recorded with. */
export function proposalSource(context: ToolContext): {
  proposer: { kind: ProposerKind; principalId: string };
  channel: ToolChannel;
} {
  return {
    proposer: { kind: context.proposerKind, principalId: context.principal.id },
    channel: context.channel,
  };
}
