/**
 * The conversation engine: one turn of one thread, for every channel (the terminal, POST
 * /api/chat, later the web console and the bots). A slash command is parsed by the grammar
 * (agents/slash/) and run through the tool gate (tools/invoke.ts) with channel `chat`; plain
 * text goes to the model when one is ready (agents/agent.ts), else gets the closest commands.
 * `/approve` and `/reject` are decisions only because a person typed them in a signed-in
 * channel: the surface hands over its approval channel and credential, and orders checks it
 * all again. Text a model wrote is never parsed here: only `request.text`, typed by the person.
 * Each turn is written to the thread's memory whole, at its end, whatever happened.
 */
import type { Logger } from '../config/logger.js';
import { silentLogger } from '../config/logger.js';
import { describeProposal } from '../orders/describe.js';
import { ApprovalRefusedError, NotFoundError } from '../orders/errors.js';
import { shortHash } from '../orders/hash.js';
import type { Orders } from '../orders/service.js';
import type { ApprovalChannel, DecisionCredential, ProposerKind } from '../orders/types.js';
import type { Pool } from '../store/db/pool.js';
import type { RateLimiter } from '../store/kv/rate-limiter.js';
import {
  appendMessages,
  type ConversationChannel,
  openConversation,
  recentMessages,
  type StoredMessage,
  shownHash,
} from '../store/repos/conversations-repo.js';
import { createToolContext } from '../tools/context.js';
import { toolByName } from '../tools/index.js';
import { invokeTool } from '../tools/invoke.js';
import type { ToolContext, ToolPrincipal } from '../tools/tool.js';
import type { AgentRunner, AgentStatus } from './agent-runner.js';
import { createEventQueue } from './event-queue.js';
import type { ChatEvent } from './events.js';
import { agentWriteRefusal, claimCorrection } from './guards.js';
import { citedIds, renderOutput } from './render.js';
import type { EngineCommand } from './slash/commands.js';
import { helpText, usageLine } from './slash/help.js';
import { isSlashCommand, parseSlash } from './slash/parse.js';
import { fallbackAnswer } from './suggest.js';

/** The longest message a person may send in one turn. */
export const MAX_TURN_TEXT = 8000;
/** Thread names: 1-64 of letters, digits, '.', '_' and '-'. */
export const THREAD_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Messages of a thread read back into a turn (the model path trims them further to its context). */
export const HISTORY_LIMIT = 60;

/** Where a turn comes from: the surface its thread is kept on, and how a decision typed there is recorded. */
export interface ChatSurface {
  channel: ConversationChannel;
  /**
   * The human approval channel and credential of a person typing here (the terminal's local
   * user, a bearer token's principal); null where typed text cannot decide (then /approve is refused).
   */
  approval: { channel: ApprovalChannel; credential: DecisionCredential } | null;
}

export interface TurnRequest {
  principal: ToolPrincipal;
  surface: ChatSurface;
  thread: string;
  /** What the person typed. */
  text: string;
  signal?: AbortSignal;
}

export interface ChatEngineDeps {
  pool: Pool;
  orders: Orders;
  logger?: Logger;
  limiter?: RateLimiter;
  /** Retrieval over the trade history, for search_trade_history (absent: keyword search). */
  retrieval?: ToolContext['retrieval'];
  /** The model path; absent, plain text gets the closest slash commands. */
  agent?: AgentRunner;
  now?: () => Date;
}

export interface ChatEngine {
  /** Runs one turn; the events end with `done` (after an `error` too). Never throws. */
  turn(request: TurnRequest): AsyncIterable<ChatEvent>;
  /** ready, slash_only (why) or degraded (why), for /health and banners. */
  status(): AgentStatus;
}

/** What one turn records and counts while it runs. */
interface TurnState {
  request: TurnRequest;
  /** The thread's conversation, opened while the turn's first work runs (await conversationOf). */
  opening: Promise<{ id: string; thread: string }>;
  conversationId?: string;
  thread: string;
  emit: (event: ChatEvent) => void;
  /** Messages this turn adds to the thread. */
  messages: Omit<StoredMessage, 'id' | 'createdAt'>[];
  /** The thread's recent messages, read when the model path needs them. */
  history?: StoredMessage[];
  toolCalls: number;
  /** Paragraphs of the answer, as stored in the thread. */
  text: string[];
  /** The last paragraph is being streamed by the model. */
  streaming: boolean;
}

/** The id of the turn's (current) conversation. */
async function conversationOf(state: TurnState): Promise<string> {
  if (state.conversationId === undefined) state.conversationId = (await state.opening).id;
  return state.conversationId;
}

let callCounter = 0;
const nextCallId = () => `call_${Date.now().toString(36)}_${(callCounter++).toString(36)}`;

function say(state: TurnState, text: string): void {
  state.text.push(text);
  state.streaming = false;
  state.emit({ type: 'text', text });
}

/** A chunk of text as the model writes it: joined to the paragraph it continues. */
function stream(state: TurnState, text: string): void {
  if (state.streaming && state.text.length > 0) state.text[state.text.length - 1] += text;
  else state.text.push(text);
  state.streaming = true;
  state.emit({ type: 'text', text });
}

/** The hash the latest proposal event of this thread showed for proposal `id`, if one did. */
async function shownProposal(
  pool: Pool,
  state: TurnState,
  id: string,
): Promise<string | undefined> {
  for (const message of [...state.messages].reverse()) {
    const shown = message.data?.proposal as { id?: string; order_hash?: string } | undefined;
    if (shown?.id === id && typeof shown.order_hash === 'string') return shown.order_hash;
  }
  return shownHash(pool, await conversationOf(state), id);
}

export function createChatEngine(deps: ChatEngineDeps): ChatEngine {
  const logger = deps.logger ?? silentLogger();
  const now = deps.now ?? (() => new Date());

  /** Runs one tool through the gate, emitting its events and recording it in the turn. */
  async function runTool(
    state: TurnState,
    toolName: string,
    args: Record<string, unknown>,
    proposerKind: ProposerKind,
    callId = nextCallId(),
  ): Promise<{ ok: boolean; output?: Record<string, unknown>; message?: string; code?: string }> {
    const tool = toolByName(toolName);
    state.toolCalls++;
    state.streaming = false;
    state.emit({ type: 'tool_started', call_id: callId, tool: toolName, args });
    if (!tool) {
      const message = `there is no tool "${toolName.slice(0, 60)}"; the tools are listed by /help`;
      state.emit({
        type: 'tool_result',
        call_id: callId,
        tool: toolName,
        ok: false,
        error: { code: 'not_found', message },
        ids: {},
      });
      state.messages.push({
        role: 'tool',
        content: message,
        toolName,
        toolCallId: callId,
        data: { args, ok: false, code: 'not_found' },
      });
      return { ok: false, code: 'not_found', message };
    }
    const refusal =
      proposerKind === 'agent' && tool.writes
        ? await agentWriteRefusal(deps.pool, state.request.text, tool.name, args)
        : null;
    const result = refusal
      ? ({ ok: false, code: 'forbidden', message: refusal } as const)
      : await invokeTool(
          tool,
          args,
          createToolContext({
            principal: state.request.principal,
            pool: deps.pool,
            orders: deps.orders,
            channel: 'chat',
            proposerKind,
            logger,
            now,
            ...(deps.limiter ? { limiter: deps.limiter } : {}),
            ...(deps.retrieval ? { retrieval: deps.retrieval } : {}),
            ...(state.request.signal ? { signal: state.request.signal } : {}),
            progress: (done, total, message) =>
              state.emit({
                type: 'tool_progress',
                call_id: callId,
                tool: toolName,
                done,
                total,
                ...(message !== undefined ? { message } : {}),
              }),
          }),
        );
    const ids = citedIds(toolName, result.ok ? result.output : undefined, tool.writes);
    state.emit({
      type: 'tool_result',
      call_id: callId,
      tool: toolName,
      ok: result.ok,
      ...(result.ok
        ? { output: result.output }
        : { error: { code: result.code, message: result.message } }),
      ids,
    });
    let proposal: Record<string, unknown> | undefined;
    if (result.ok && typeof ids.proposal_id === 'string')
      proposal = await proposalEvent(state, ids.proposal_id);
    state.messages.push({
      role: 'tool',
      content: result.ok ? JSON.stringify(result.output) : result.message,
      toolName,
      toolCallId: callId,
      data: {
        args,
        ok: result.ok,
        ...(result.ok ? { ids } : { code: result.code }),
        ...(proposal ? { proposal } : {}),
      },
    });
    return result.ok
      ? { ok: true, output: result.output }
      : { ok: false, code: result.code, message: result.message };
  }

  /** Emits the proposal event for a new proposal; returns what was shown (id and hash). */
  async function proposalEvent(
    state: TurnState,
    proposalId: string,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const proposal = await deps.orders.getProposal(proposalId);
      const message =
        proposal.status === 'pending'
          ? `waiting for your approval: /approve ${proposal.id} (or /reject ${proposal.id} reason)`
          : `not pending: ${proposal.status}${proposal.failureReason ? ` (${proposal.failureReason})` : ''}`;
      state.emit({
        type: 'proposal',
        proposal_id: proposal.id,
        status: proposal.status,
        order_hash: proposal.orderHash,
        order_hash_short: shortHash(proposal.orderHash),
        expires_at: proposal.expiresAt,
        lines: describeProposal(proposal),
        message,
      });
      return { id: proposal.id, order_hash: proposal.orderHash, status: proposal.status };
    } catch (error) {
      logger.error({ err: error, proposalId }, 'could not read a new proposal back');
      return undefined;
    }
  }

  async function decide(state: TurnState, command: EngineCommand, words: string[]): Promise<void> {
    const decision = command.name as 'approve' | 'reject';
    const [id, ...rest] = words;
    if (!id) {
      say(state, `usage: ${command.usage}`);
      return;
    }
    const surface = state.request.surface;
    if (!surface.approval) {
      say(
        state,
        `this channel cannot take decisions; approve ${id} where you are signed in (countersign approve ${id}, or the REST API with a token holding the approve scope).`,
      );
      return;
    }
    const hashWord = decision === 'approve' ? rest[0] : undefined;
    const shown = await shownProposal(deps.pool, state, id);
    let orderHash = hashWord ?? shown;
    try {
      if (orderHash === undefined) {
        // Not shown in this thread and no hash typed: show it, and ask for the hash.
        const proposal = await deps.orders.getProposal(id);
        await proposalEvent(state, proposal.id);
        say(
          state,
          `Proposal ${proposal.id} was not shown in this thread. Check it above; to ${decision} it, type /${decision} ${proposal.id} ${shortHash(proposal.orderHash)}${decision === 'reject' ? ' reason' : ''}.`,
        );
        if (decision === 'approve') return;
        orderHash = proposal.orderHash;
      }
      const input = {
        proposalId: id,
        principalId: state.request.principal.id,
        channel: surface.approval.channel,
        orderHash,
        credential: surface.approval.credential,
        evidence: {
          via: 'chat',
          surface: surface.channel,
          conversation_id: await conversationOf(state),
          thread: state.thread,
          typed: state.request.text.slice(0, 200),
          credential: surface.approval.credential,
        },
        ...(decision === 'reject' && rest.length > 0
          ? { reason: rest.join(' ').slice(0, 500) }
          : {}),
      };
      if (decision === 'approve') {
        const outcome = await deps.orders.approve(input);
        const shownNow = await proposalEvent(state, outcome.proposal.id);
        state.messages.push({
          role: 'tool',
          content: `approved by ${state.request.principal.handle}: ${outcome.status}`,
          toolName: 'approve',
          toolCallId: nextCallId(),
          data: {
            decision: 'approve',
            outcome: outcome.status,
            ...(shownNow ? { proposal: shownNow } : {}),
          },
        });
        say(
          state,
          outcome.status === 'submitted'
            ? `Approved by you. Sent to the broker as ${outcome.orders.map((order) => `order ${order.id} (${order.status})`).join(', ')}.`
            : `Approved by you (${outcome.proposal.approvals.filter((a) => a.decision === 'approve').length} of ${outcome.proposal.requiredApprovals}); it waits for another approver (four-eyes).`,
        );
      } else {
        const proposal = await deps.orders.reject(input);
        state.messages.push({
          role: 'tool',
          content: `rejected by ${state.request.principal.handle}`,
          toolName: 'reject',
          toolCallId: nextCallId(),
          data: { decision: 'reject', proposal: { id: proposal.id, status: proposal.status } },
        });
        say(state, `Rejected proposal ${proposal.id}.`);
      }
    } catch (error) {
      if (error instanceof ApprovalRefusedError || error instanceof NotFoundError) {
        state.emit({ type: 'error', code: 'refused', message: error.message });
        state.text.push(`Refused: ${error.message}`);
        return;
      }
      if (
        error instanceof Error &&
        /uuid|not a proposal id|invalid input syntax/i.test(error.message)
      ) {
        state.emit({
          type: 'error',
          code: 'bad_input',
          message: `"${id.slice(0, 40)}" is not a proposal id`,
        });
        return;
      }
      throw error;
    }
  }

  async function slash(state: TurnState): Promise<'slash'> {
    const parsed = parseSlash(state.request.text);
    if (parsed.kind === 'error') {
      state.emit({ type: 'error', code: 'bad_input', message: parsed.message });
      state.text.push(parsed.message);
      return 'slash';
    }
    if (parsed.kind === 'engine') {
      const { command, words } = parsed;
      if (command.name === 'help') say(state, helpText(words[0]));
      else if (command.name === 'new') {
        const name = words[0] ?? `t-${now().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
        if (!THREAD_PATTERN.test(name)) {
          state.emit({
            type: 'error',
            code: 'bad_input',
            message: `thread name "${name.slice(0, 70)}" is not 1-64 of letters, digits, ".", "_" and "-"`,
          });
          return 'slash';
        }
        const opened = await openConversation(deps.pool, {
          principalId: state.request.principal.id,
          channel: state.request.surface.channel,
          thread: name,
        });
        state.thread = opened.thread;
        state.opening = Promise.resolve(opened);
        state.conversationId = opened.id;
        say(state, `New thread "${name}". Continue it later with --thread ${name}.`);
      } else await decide(state, command, words);
      return 'slash';
    }
    const { command, args } = parsed;
    for (const field of command.filled ?? [])
      if (args[field] === undefined)
        args[field] =
          `typed by ${state.request.principal.handle} in chat: ${state.request.text.slice(0, 300)}`;
    // The person typed it: a proposal made by it is theirs, not the agent's.
    let result = await runTool(state, command.tool.name, args, 'principal');
    if (command.alternate && args[command.alternate.field] !== undefined) {
      const { [command.alternate.field]: value, ...others } = args;
      for (const other of command.alternate.with) {
        if (result.ok || result.code !== 'not_found') break;
        result = await runTool(
          state,
          command.tool.name,
          { ...others, [other]: value },
          'principal',
        );
      }
    }
    if (result.ok) say(state, renderOutput(result.output as Record<string, unknown>));
    else
      say(
        state,
        result.code === 'bad_input'
          ? `${result.message}\nusage: ${usageLine(command)}`
          : (result.message as string),
      );
    return 'slash';
  }

  async function turn(state: TurnState): Promise<'slash' | 'agent' | 'fallback'> {
    if (isSlashCommand(state.request.text)) return slash(state);
    const status = deps.agent?.status() ?? {
      state: 'slash_only' as const,
      detail: 'no model configured',
    };
    if (!deps.agent || status.state === 'slash_only') {
      say(state, fallbackAnswer(state.request.text, status.detail ?? 'not configured'));
      return 'fallback';
    }
    const answered = await deps.agent.run({
      text: state.request.text,
      history: await recentMessages(deps.pool, await conversationOf(state), HISTORY_LIMIT),
      signal: state.request.signal,
      emitText: (text) => stream(state, text),
      callTool: (name, args, callId) => runTool(state, name, args, 'agent', callId),
      toolCalls: () => state.toolCalls,
    });
    if (answered.kind === 'unavailable') {
      say(state, fallbackAnswer(state.request.text, answered.reason));
      return 'fallback';
    }
    const correction = claimCorrection(state.text.join('\n'), state.messages);
    if (correction) say(state, `\n${correction}`);
    return 'agent';
  }

  function refuse(request: TurnRequest): string | null {
    if (typeof request.text !== 'string' || request.text.trim() === '')
      return 'text is empty; type a question or a /command (/help lists them)';
    if (request.text.length > MAX_TURN_TEXT)
      return `text has ${request.text.length} characters; at most ${MAX_TURN_TEXT}`;
    if (request.text.includes('\u0000')) return 'text contains a NUL character';
    if (!THREAD_PATTERN.test(request.thread))
      return `thread "${String(request.thread).slice(0, 70)}" is not 1-64 of letters, digits, ".", "_" and "-"`;
    return null;
  }

  return {
    status: () => deps.agent?.status() ?? { state: 'slash_only', detail: 'no model configured' },
    turn(request) {
      const queue = createEventQueue<ChatEvent>();
      const started = performance.now();
      const run = async () => {
        const problem = refuse(request);
        if (problem) {
          queue.push({ type: 'error', code: 'bad_input', message: problem });
          queue.push({
            type: 'done',
            thread: String(request.thread).slice(0, 64),
            conversation_id: '',
            mode: 'slash',
            tool_calls: 0,
            elapsed_ms: performance.now() - started,
          });
          return;
        }
        // Opened while the command runs: a slash command needs it only when the turn is stored.
        const opening = openConversation(deps.pool, {
          principalId: request.principal.id,
          channel: request.surface.channel,
          thread: request.thread,
        });
        opening.catch(() => undefined);
        const state: TurnState = {
          request,
          opening,
          thread: request.thread,
          emit: (event) => queue.push(event),
          messages: [],
          toolCalls: 0,
          text: [],
          streaming: false,
        };
        const userMessage = {
          role: 'user' as const,
          content: request.text,
          toolName: null,
          toolCallId: null,
          data: null,
        };

        let mode: 'slash' | 'agent' | 'fallback' = 'slash';
        try {
          mode = await turn(state);
        } catch (error) {
          logger.error({ err: error }, 'chat turn failed');
          queue.push({
            type: 'error',
            code: 'internal',
            message: 'the turn failed with an internal error (logged on the server); try again',
          });
        } finally {
          // The turn is kept whole: what was typed, every tool call and what was answered.
          const assistant = {
            role: 'assistant' as const,
            content: state.text.join('\n'),
            toolName: null,
            toolCallId: null,
            data: { mode },
          };
          try {
            await appendMessages(deps.pool, (await opening).id, [
              userMessage,
              ...state.messages,
              assistant,
            ]);
          } catch (error) {
            logger.error({ err: error }, 'could not store a chat turn');
            queue.push({
              type: 'error',
              code: 'unavailable',
              message: 'the answer could not be stored in the thread',
            });
          }
        }
        queue.push({
          type: 'done',
          thread: state.thread,
          conversation_id: await conversationOf(state).catch(() => ''),
          mode,
          tool_calls: state.toolCalls,
          elapsed_ms: performance.now() - started,
        });
      };
      run()
        .catch((error) => {
          logger.error({ err: error }, 'chat turn failed');
          queue.push({
            type: 'error',
            code: 'internal',
            message: 'the turn failed with an internal error (logged on the server); try again',
          });
          queue.push({
            type: 'done',
            thread: String(request.thread).slice(0, 64),
            conversation_id: '',
            mode: 'slash',
            tool_calls: 0,
            elapsed_ms: performance.now() - started,
          });
        })
        .finally(() => queue.close());
      return queue;
    },
  };
}
