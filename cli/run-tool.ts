/**
 * A research command's tool call: the CLI's backtest, optimize, optimize-portfolio, screen and
 * rebalance-plan run the same tools as MCP and REST, through the same gate (tools/invoke.ts:
 * bounds, validation, the handler, output checks, one audit entry) with channel `cli`, as the
 * command-line principal (`local`). `--data` reaches the tool as the context's files source.
 */

import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { createModelRuntime } from '../models/runtime.js';
import { attachModels, createModelService, type ModelService } from '../models/service.js';
import type { Pool } from '../store/db/pool.js';
import type { TaskRunner } from '../store/jobs/task-runner.js';
import { createToolContext } from '../tools/context.js';
import { type InvokeErrorCode, invokeTool } from '../tools/invoke.js';
import type { Tool } from '../tools/tool.js';
import { cliPrincipal } from './cli-principal.js';
import { withOrders } from './proposals.js';

/** A call the tool refused or failed: the tool's message; exit code 2 for bad input, 1 otherwise. */
export class ToolRefusal extends Error {
  constructor(
    readonly code: InvokeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ToolRefusal';
  }

  /** The exit code a command ends with. */
  get exitCode(): number {
    return this.code === 'bad_input' || this.code === 'not_found' ? 2 : 1;
  }
}

/** How one command calls its tool. */
export interface CliToolCall {
  /** Bars from these files instead of the database (`--data`). */
  data?: string;
  /** Progress lines on stderr as "countersign <command>: <message>" (long work on a terminal). */
  progress?: { command: string };
  /** The command-line principal to act as; default `local`. */
  as?: string;
  /** Where an optimization runs its backtests (--workers, --queue, --local); the caller closes it. */
  taskRunner?: TaskRunner;
  /** Serve the live learned model for this call (screen's model_score); started and closed here. */
  models?: boolean;
}

/** Writes progress to stderr at most every 500 ms, and the last report always. */
function progressPrinter(command: string): (done: number, total: number, message?: string) => void {
  let last = 0;
  return (done, total, message) => {
    const now = Date.now();
    if (done < total && now - last < 500) return;
    last = now;
    process.stderr.write(`countersign ${command}: ${message ?? `${done} of ${total}`}\n`);
  };
}

/** The model core for one command, on CPU unless MODEL_PROVIDER says otherwise; nothing is trained. */
async function cliModels(pool: Pool): Promise<ModelService> {
  const config = loadConfig();
  const logger = createLogger({ level: 'warn', stream: 'stderr' });
  const service = createModelService({
    pool,
    dataDir: config.dataDir,
    runtime: createModelRuntime({ logger, provider: config.models.provider }),
    logger,
  });
  attachModels(pool, service);
  return service;
}

/** Calls `tool` with `args` through the tool gate with channel `cli`; throws ToolRefusal when it fails. */
export async function callTool(
  tool: Tool,
  args: Record<string, unknown>,
  call: CliToolCall = {},
): Promise<Record<string, unknown>> {
  const result = await withOrders(
    async ({ orders }, pool) => {
      const handle = call.as ?? 'local';
      const principalId = await cliPrincipal(pool, handle);
      const models = call.models ? await cliModels(pool) : undefined;
      try {
        return await invokeTool(
          tool,
          args,
          createToolContext({
            principal: { id: principalId, handle, scopes: ['read'], credential: { kind: 'local' } },
            pool,
            orders,
            channel: 'cli',
            ...(call.data !== undefined ? { seriesFiles: call.data } : {}),
            ...(call.progress ? { progress: progressPrinter(call.progress.command) } : {}),
            ...(call.taskRunner ? { taskRunner: call.taskRunner } : {}),
          }),
        );
      } finally {
        await models?.close();
      }
      // Research tools propose nothing and publish nothing: no Redis needed for the call itself.
    },
    { sharedState: tool.writes },
  );
  if (!result.ok) throw new ToolRefusal(result.code, result.message);
  return result.output;
}
