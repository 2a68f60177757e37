/**
 * What a conversation turn produces, as typed events: the terminal, POST /api/chat (Server-Sent
 * Events), the web console and the bots render these and never see LangChain.
 */
import type { ProposalLine } from '../orders/describe.js';

export type ChatEvent =
  /** Text of the answer, as it is written (a chunk; concatenate them). */
  | { type: 'text'; text: string }
  | { type: 'tool_started'; call_id: string; tool: string; args: Record<string, unknown> }
  | {
      type: 'tool_progress';
      call_id: string;
      tool: string;
      done: number;
      total: number;
      message?: string;
    }
  | {
      type: 'tool_result';
      call_id: string;
      tool: string;
      ok: boolean;
      /** The tool's checked output (ok), as MCP and REST return it. */
      output?: Record<string, unknown>;
      /** Why it failed (not ok): a code as the tool gate's and a message a person can act on. */
      error?: { code: string; message: string };
      /** The ids the result cites: backtest, proposal, order… */
      ids: Record<string, string>;
    }
  | {
      type: 'proposal';
      proposal_id: string;
      status: string;
      order_hash: string;
      order_hash_short: string;
      expires_at: string;
      /** Every line a person deciding on it is shown (orders/describe.ts), the note last. */
      lines: ProposalLine[];
      /** "waiting for your approval", or where it stands once decided. */
      message: string;
    }
  | { type: 'error'; code: string; message: string }
  | {
      type: 'done';
      thread: string;
      conversation_id: string;
      /** slash: a typed command answered; agent: the model answered; fallback: no model, suggestions. */
      mode: 'slash' | 'agent' | 'fallback';
      tool_calls: number;
      elapsed_ms: number;
    };

export type ChatEventType = ChatEvent['type'];

export const CHAT_EVENT_TYPES: readonly ChatEventType[] = [
  'text',
  'tool_started',
  'tool_progress',
  'tool_result',
  'proposal',
  'error',
  'done',
];
