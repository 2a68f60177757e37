/**
 * The model path: a local model served by Ollama, through LangChain's ChatOllama, calling the
 * registry's tools in-process through the same gate as MCP (the engine's callTool: scopes, rate
 * limits, audit entries with channel chat). One loop per turn: send the system prompt, the
 * fitted history and the person's text with at most 8 relevant tools; stream the answer text;
 * run the tool calls (also those a small model writes as JSON text); feed results back as data;
 * stop at the tool-call limit with a clear message. Temperature 0, think off, num_ctx set, and
 * the prompt size Ollama reports is checked against it. The `ollama` client checks the server
 * and the model at start-up (and again after a failure), so the status is honest.
 */
import {
  AIMessage,
  type AIMessageChunk,
  type BaseMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';
import { ChatOllama } from '@langchain/ollama';
import { Ollama } from 'ollama';
import { z } from 'zod';
import type { Logger } from '../config/logger.js';
import { silentLogger } from '../config/logger.js';
import type { StoredMessage } from '../store/repos/conversations-repo.js';
import type { Tool } from '../tools/tool.js';
import type { AgentRunInput, AgentRunner, AgentRunOutcome, AgentStatus } from './agent-runner.js';
import { mayBeToolCall, recoverToolCalls } from './recover-tool-calls.js';
import { SYSTEM_PROMPT } from './system-prompt.js';
import { selectTools } from './tool-filter.js';

export interface OllamaAgentOptions {
  host: string;
  model: string;
  numCtx: number;
  timeoutMs: number;
  maxToolCalls: number;
  /** Tools sent per model call (default 8). */
  toolsPerCall?: number;
  logger?: Logger;
  /** How long Ollama keeps the model loaded between turns (default 30m). */
  keepAlive?: string;
  /** Minimum time between two checks of the server after a failure (default 30 s). */
  recheckMs?: number;
}

/** Characters per token, for fitting text into the context before the model counts it. */
const CHARS_PER_TOKEN = 3.5;
/** Tokens kept free for the model's answer. */
const ANSWER_RESERVE = 1024;
/** The most characters of one tool result the model is sent. */
const MAX_RESULT_CHARS = 6000;

const tokens = (text: string) => Math.ceil(text.length / CHARS_PER_TOKEN);

const definitions = new WeakMap<Tool, ReturnType<typeof makeDefinition>>();

/** A registry tool as Ollama's tool definition (JSON Schema of its input), made once per tool. */
function definition(tool: Tool) {
  let made = definitions.get(tool);
  if (!made) {
    made = makeDefinition(tool);
    definitions.set(tool, made);
  }
  return made;
}

function makeDefinition(tool: Tool) {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.input, {
    io: 'input',
  }) as Record<string, unknown>;
  return {
    type: 'function' as const,
    function: { name: tool.name, description: tool.description, parameters },
  };
}

/** One stored message as the model sees it again; a tool result becomes a short note. */
function replay(message: StoredMessage): BaseMessage | undefined {
  if (message.role === 'user') return new HumanMessage(message.content);
  if (message.role === 'assistant')
    return message.content.trim() === '' ? undefined : new AIMessage(message.content);
  if (message.role === 'tool') {
    const data = message.data ?? {};
    const result =
      message.content.length > 600 ? `${message.content.slice(0, 600)}…` : message.content;
    return new AIMessage(
      `(earlier tool call ${message.toolName ?? '?'} ${JSON.stringify(data.args ?? {})} → ${data.ok === false ? 'error' : 'result'}: ${result})`,
    );
  }
  return undefined;
}

/** The most recent history that fits `budget` tokens, whole messages only, and how many were left out. */
export function fitHistory(
  history: StoredMessage[],
  budget: number,
): { messages: BaseMessage[]; dropped: number } {
  const replayed = history.map(replay).filter((m): m is BaseMessage => m !== undefined);
  const kept: BaseMessage[] = [];
  let used = 0;
  for (let k = replayed.length - 1; k >= 0; k--) {
    const message = replayed[k] as BaseMessage;
    const cost = tokens(String(message.content)) + 4;
    if (used + cost > budget) break;
    kept.unshift(message);
    used += cost;
  }
  return { messages: kept, dropped: replayed.length - kept.length };
}

/** Why a model call failed, in words for the person and the status. */
function failureReason(error: unknown, options: OllamaAgentOptions): string {
  const e = error as {
    name?: string;
    message?: string;
    cause?: { code?: string };
    status_code?: number;
  };
  if (e?.name === 'TimeoutError' || /timed? ?out/i.test(e?.message ?? ''))
    return `the model did not answer within ${options.timeoutMs / 1000} s`;
  if (e?.cause?.code === 'ECONNREFUSED' || /fetch failed|ECONNREFUSED/.test(e?.message ?? ''))
    return `no Ollama at ${options.host}`;
  if (e?.status_code === 404 || /not found, try pulling/i.test(e?.message ?? ''))
    return `model ${options.model} is not pulled: run \`ollama pull ${options.model}\``;
  if (e instanceof SyntaxError || /JSON/.test(e?.message ?? ''))
    return `Ollama at ${options.host} answered with something that is not its protocol`;
  return `Ollama failed: ${(e?.message ?? String(error)).slice(0, 200)}`;
}

export interface OllamaAgent extends AgentRunner {
  /** Asks the server for its version and models; sets the status. */
  probe(): Promise<AgentStatus>;
}

export function createOllamaAgent(options: OllamaAgentOptions): OllamaAgent {
  const logger = options.logger ?? silentLogger();
  const client = new Ollama({ host: options.host });
  let status: AgentStatus = {
    state: 'slash_only',
    detail: `Ollama at ${options.host} not checked yet`,
  };
  let checkedAt = 0;
  let probing: Promise<AgentStatus> | undefined;

  async function probe(): Promise<AgentStatus> {
    checkedAt = Date.now();
    try {
      const signal = AbortSignal.timeout(Math.min(options.timeoutMs, 5000));
      const version = await Promise.race([
        client.version(),
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        ),
      ]);
      const { models } = await client.list();
      const names = models.map((model) => model.name);
      const wanted = options.model.includes(':') ? options.model : `${options.model}:latest`;
      if (!names.includes(wanted) && !names.includes(options.model)) {
        status = {
          state: 'slash_only',
          detail: `model ${options.model} is not pulled on Ollama ${version.version} at ${options.host}: run \`ollama pull ${options.model}\``,
        };
        logger.warn({ host: options.host, model: options.model, models: names }, status.detail);
      } else {
        status = {
          state: 'ready',
          detail: `${options.model} on Ollama ${version.version} at ${options.host}`,
        };
        logger.info({ host: options.host, model: options.model }, `agent ready: ${status.detail}`);
      }
    } catch (error) {
      status = { state: 'slash_only', detail: failureReason(error, options) };
      logger.info({ host: options.host }, `agent: slash commands only (${status.detail})`);
    }
    return status;
  }

  function recheck(): void {
    if (status.state === 'ready' || probing) return;
    if (Date.now() - checkedAt < (options.recheckMs ?? 30_000)) return;
    probing = probe().finally(() => {
      probing = undefined;
    });
  }

  const chat = new ChatOllama({
    baseUrl: options.host,
    model: options.model,
    temperature: 0,
    numCtx: options.numCtx,
    think: false,
    keepAlive: options.keepAlive ?? '30m',
  });

  async function run(input: AgentRunInput): Promise<AgentRunOutcome> {
    const used: string[] = [];
    const tools = selectTools(input.text, used, options.toolsPerCall ?? 8);
    const definitions = tools.map(definition);
    const fixed =
      tokens(SYSTEM_PROMPT) +
      tokens(JSON.stringify(definitions)) +
      tokens(input.text) +
      ANSWER_RESERVE;
    const { messages: history, dropped } = fitHistory(
      input.history,
      Math.max(0, options.numCtx - fixed),
    );
    if (dropped > 0)
      logger.debug({ dropped }, 'agent: older messages of the thread left out to fit the context');
    const messages: BaseMessage[] = [
      new SystemMessage(
        dropped > 0
          ? `${SYSTEM_PROMPT}\n(${dropped} earlier messages of this thread are not shown.)`
          : SYSTEM_PROMPT,
      ),
      ...history,
      new HumanMessage(input.text),
    ];
    for (let round = 0; ; round++) {
      const selected =
        round === 0 ? tools : selectTools(input.text, used, options.toolsPerCall ?? 8);
      const model = chat.bindTools(selected.map(definition));
      const signal = input.signal
        ? AbortSignal.any([input.signal, AbortSignal.timeout(options.timeoutMs)])
        : AbortSignal.timeout(options.timeoutMs);
      let aggregate: AIMessageChunk | undefined;
      let held = '';
      let streaming = false;
      try {
        const stream = await model.stream(messages, { signal });
        for await (const chunk of stream) {
          aggregate = aggregate ? aggregate.concat(chunk) : chunk;
          const text = typeof chunk.content === 'string' ? chunk.content : '';
          if (text === '') continue;
          if (streaming) input.emitText(text);
          else {
            held += text;
            if (!mayBeToolCall(held)) {
              streaming = true;
              input.emitText(held);
              held = '';
            }
          }
        }
      } catch (error) {
        if (input.signal?.aborted) return { kind: 'answered' };
        const reason = failureReason(error, options);
        logger.warn({ err: error }, `agent: model call failed (${reason})`);
        status = { state: 'degraded', detail: reason };
        checkedAt = Date.now();
        if (/no Ollama|not pulled/.test(reason)) status = { state: 'slash_only', detail: reason };
        return { kind: 'unavailable', reason };
      }
      if (!aggregate)
        return { kind: 'unavailable', reason: `Ollama at ${options.host} sent an empty answer` };
      if (status.state !== 'ready')
        status = { state: 'ready', detail: `${options.model} at ${options.host}` };
      const promptTokens = aggregate.usage_metadata?.input_tokens ?? 0;
      if (promptTokens >= options.numCtx)
        logger.warn(
          { prompt_eval_count: promptTokens, num_ctx: options.numCtx },
          'agent: the prompt filled the model context (Ollama truncates it); raise OLLAMA_NUM_CTX or shorten the thread',
        );
      let calls = (aggregate.tool_calls ?? []).map((call) => ({
        id: call.id ?? `call_${round}_${call.name}`,
        name: call.name,
        args: (call.args ?? {}) as Record<string, unknown>,
      }));
      const content = typeof aggregate.content === 'string' ? aggregate.content : '';
      if (calls.length === 0 && held !== '') {
        const recovered = recoverToolCalls(held);
        if (recovered.length > 0) {
          logger.debug(
            { calls: recovered.map((c) => c.name) },
            'agent: tool call recovered from text',
          );
          calls = recovered.map((call, k) => ({ id: `text_${round}_${k}`, ...call }));
        } else input.emitText(held);
      }
      if (calls.length === 0) return { kind: 'answered' };
      messages.push(
        new AIMessage({
          content: calls.length > 0 && held !== '' && content === held ? '' : content,
          tool_calls: calls.map((call) => ({
            id: call.id,
            name: call.name,
            args: call.args,
            type: 'tool_call' as const,
          })),
        }),
      );
      for (const call of calls) {
        if (input.toolCalls() >= options.maxToolCalls) {
          input.emitText(
            `\n(I stopped after ${options.maxToolCalls} tool calls in this turn — the limit AGENT_MAX_TOOL_CALLS. Ask again more narrowly, or use a slash command.)`,
          );
          return { kind: 'answered' };
        }
        const result = await input.callTool(call.name, call.args, call.id);
        if (!used.includes(call.name)) used.push(call.name);
        const text = result.ok
          ? JSON.stringify(result.output)
          : `error (${result.code}): ${result.message}`;
        messages.push(
          new ToolMessage({
            tool_call_id: call.id,
            name: call.name,
            content:
              text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}… (cut)` : text,
          }),
        );
      }
    }
  }

  return {
    probe,
    status() {
      recheck();
      return status;
    },
    run,
  };
}
