/**
 * A tool: one platform action, defined once and served to MCP clients, the REST API, the agent
 * and the bots. Schemas are zod (flat objects, snake_case fields, ISO date strings, `.describe()`
 * on every field); `writes` marks the tools that change state — the same flag sets the MCP
 * annotations and routes the tool through the approval gate (a write tool only ever proposes).
 */
import { z } from 'zod';
import type { ApiScope } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import type { Orders } from '../orders/service.js';
import type { DecisionCredential, ProposerKind } from '../orders/types.js';
import type { Retrieval } from '../rag/retrieval.js';
import type { Pool } from '../store/db/pool.js';
import type { TaskRunner } from '../store/jobs/task-runner.js';
import type { RateLimiter } from '../store/kv/rate-limiter.js';

/** The channels a tool call can come through; each is also a proposal's recorded channel. */
export const TOOL_CHANNELS = ['mcp', 'rest', 'cli', 'chat', 'telegram', 'slack', 'web'] as const;
export type ToolChannel = (typeof TOOL_CHANNELS)[number];

/** Who is calling, as the transport authenticated them. */
export interface ToolPrincipal {
  /** principals.id (uuid). */
  id: string;
  handle: string;
  /**
   * 'read' allows read tools; 'propose' write tools (which only propose); 'approve' lets the
   * person at the client decide through the MCP approval form (tools never approve).
   */
  scopes: ApiScope[];
  /**
   * How the transport authenticated the caller: a bearer token (its id, checked again by
   * orders at decision time), or the OS user of a local process (stdio). Absent: a caller that
   * can never decide (benchmarks, tests of read tools).
   */
  credential?: DecisionCredential;
}

/** What a handler may use. Nothing here can approve an order. */
export interface ToolContext {
  principal: ToolPrincipal;
  pool: Pool;
  orders: Orders;
  /**
   * The transport this call came through (tools/context.ts lists them): the audit entry's
   * channel and the channel a proposal made on this call is recorded with.
   */
  channel: ToolChannel;
  /** Who drafts a proposal made on this call (an MCP client's model, the person, an agent…). */
  proposerKind: ProposerKind;
  logger: Logger;
  /** Long work reports progress (done of total, with a short message); transports forward it. */
  progress: (done: number, total: number, message?: string) => void;
  /** Cancellation from the caller. */
  signal: AbortSignal;
  /** The clock (tests set it). */
  now: () => Date;
  /** Calls per principal; absent: no limit (the stdio server of one local user, benchmarks). */
  limiter?: RateLimiter;
  /**
   * Where research tools read daily bars: absent, the database (`pool`, through its price cache
   * when the server attached one); a path, a CSV file or a folder of SYMBOL.csv(.gz) files (the
   * CLI's `--data`). Only a transport sets it, never a tool argument. Read it with
   * tools/series-source.ts.
   */
  seriesFiles?: string;
  /**
   * Retrieval over the trade history (rag/): the server's, with its vector store; absent, the
   * tools that search use keyword search over PostgreSQL and say so.
   */
  retrieval?: Retrieval;
  /**
   * Where optimize_strategy runs its backtests: worker threads or a shared Redis queue the
   * transport chose and sized (the CLI's --workers, --queue, --local); absent, one in-process
   * thread per call. Only a transport sets it, never a tool argument; the transport closes it.
   */
  taskRunner?: TaskRunner;
  /**
   * Asks the PERSON at the client to approve or decline a proposal (MCP elicitation), when the
   * client can show a form; absent otherwise. Only a transport sets it, never a tool argument:
   * the answer comes from the human's client, not from the model.
   */
  confirm?: (request: ConfirmRequest) => Promise<ConfirmAnswer>;
}

/** What the person is asked: the proposal and every field of its orders, in words. */
export interface ConfirmRequest {
  proposalId: string;
  orderHash: string;
  /**
   * The whole order in plain text from the stored legs (account, each leg's side, quantity,
   * symbol, type, prices, time in force), the short hash, the expiry, the confirmation code to
   * type, and last the proposer's sanitised note.
   */
  message: string;
  /** The code the person must type back; a blind "accept" without it approves nothing. */
  code: string;
}

/**
 * What the client sent back: accepted (with the code the person typed, checked by the tool),
 * declined, or dismissed.
 */
export interface ConfirmAnswer {
  action: 'accept' | 'decline' | 'cancel';
  typed?: string;
}

/** MCP tool annotations, set honestly per tool. */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface Tool<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  /** When to use it and when not; units, defaults, limits. */
  description: string;
  input: I;
  output: O;
  /** True for tools that change state (they create proposals; none places an order). */
  writes: boolean;
  annotations: ToolAnnotations;
  /**
   * Output fields (at any depth) that quote text written by someone else — a proposer's
   * rationale, a broker's rejection reason: MCP results mark them as data, not instructions.
   */
  quotedText?: readonly string[];
  handler(input: z.infer<I>, context: ToolContext): Promise<z.infer<O>>;
}

/** A tool failure a model can act on: what was wrong, the valid range, what to try next. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly code: 'bad_input' | 'not_found' | 'forbidden' | 'unavailable' = 'bad_input',
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

/** Defines a tool (identity; it exists for type inference). */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  tool: Tool<I, O>,
): Tool<I, O> {
  return tool;
}

/** Read-only annotations: no side effects, same answer for the same input, data from our store. */
export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

/** A write that only creates a proposal for a human to approve: not destructive, not idempotent. */
export const PROPOSES: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
};

/**
 * A research tool that keeps a record of its result (run_backtest stores each run): it adds a row,
 * so it is not read-only in MCP's sense, but it changes no account, proposes nothing, destroys
 * nothing, and each call adds a new record (not idempotent). `writes` stays false: that flag
 * means "proposes" and drives the 'propose' scope and the approval gate.
 */
export const RECORDS: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
};

/** True for a real calendar day written YYYY-MM-DD. */
function calendarDay(text: string): boolean {
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}

/**
 * An ISO calendar date (YYYY-MM-DD), checked exactly but listed compactly: zod's z.iso.date()
 * puts a 250-character pattern in every tool listing, and tools/list is a small model's budget.
 */
export function isoDate() {
  return z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected an ISO date YYYY-MM-DD, e.g. 2021-04-21')
    .refine(calendarDay, 'not a calendar date (e.g. 2021-02-30); use a real YYYY-MM-DD day')
    .meta({ format: 'date' });
}
