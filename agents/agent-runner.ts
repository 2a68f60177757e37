/** The model path of the engine, as the engine sees it: a status, and a run over the turn's tools. */
import type { StoredMessage } from '../store/repos/conversations-repo.js';

/** ready: plain text goes to the model; slash_only: no model (why); degraded: it answers badly or slowly (why). */
export interface AgentStatus {
  state: 'ready' | 'slash_only' | 'degraded';
  detail?: string;
}

/** What a tool call answered, as the model is told. */
export interface AgentToolResult {
  ok: boolean;
  output?: Record<string, unknown>;
  code?: string;
  message?: string;
}

export interface AgentRunInput {
  text: string;
  history: StoredMessage[];
  signal?: AbortSignal;
  /** Streams answer text to the person. */
  emitText: (text: string) => void;
  /** Runs a registry tool through the gate (channel chat, proposer agent). */
  callTool: (
    name: string,
    args: Record<string, unknown>,
    callId?: string,
  ) => Promise<AgentToolResult>;
  /** Tool calls made so far in this turn. */
  toolCalls: () => number;
}

export type AgentRunOutcome = { kind: 'answered' } | { kind: 'unavailable'; reason: string };

export interface AgentRunner {
  status(): AgentStatus;
  run(input: AgentRunInput): Promise<AgentRunOutcome>;
}
