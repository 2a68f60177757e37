/**
 * The conversation engine: a slash command end to end through POST /api/chat on the real server
 * (SSE read to the `done` event); a one-tool model turn through the engine with the Ollama
 * stand-in answering at once (so the figure is the engine's own overhead plus two loopback
 * model calls), memory read and written; and 1,000 turns in one thread, with the heap before and
 * after and the largest prompt the model was sent against OLLAMA_NUM_CTX.
 */

import { createChatEngine } from '../agents/engine.js';
import { createOllamaAgent } from '../agents/ollama-agent.js';
import type { Config } from '../config/env.js';
import { silentLogger } from '../config/logger.js';
import { startServer } from '../server/start.js';
import { createApiToken } from '../store/repos/api-tokens-repo.js';
import { freePort } from '../test/helpers/cli.js';
import { type ChatRequest, startFakeOllama } from '../test/helpers/fake-ollama.js';
import { freshDatabase } from './fresh-database.js';

const ms = (value: number) => Math.round(value * 100) / 100;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
const summary = (laps: number[]) => {
  const sorted = [...laps].sort((a, b) => a - b);
  return {
    n: laps.length,
    p50_ms: ms(percentile(sorted, 0.5)),
    p95_ms: ms(percentile(sorted, 0.95)),
    max_ms: ms(sorted.at(-1) as number),
  };
};

/** A model that asks for one quote, then answers: the shortest real tool round trip. */
function quoteModel(request: ChatRequest) {
  return request.messages.at(-1)?.role === 'tool'
    ? { content: 'AAPL closed as shown above.' }
    : { tool_calls: [{ name: 'get_quote', arguments: { symbol: 'AAPL' } }] };
}

/** One tool round trip (model → get_quote → model) through createAgent and through a plain loop. */
async function loopVersusCreateAgent(host: string) {
  const { createAgent, createMiddleware, tool } = await import('langchain');
  const { ChatOllama } = await import('@langchain/ollama');
  const { AIMessage, HumanMessage, SystemMessage, ToolMessage } = await import(
    '@langchain/core/messages'
  );
  const chat = new ChatOllama({ baseUrl: host, model: 'qwen3:8b', temperature: 0, think: false });
  const parameters = {
    type: 'object',
    properties: { symbol: { type: 'string' } },
    required: ['symbol'],
  };
  const definition = {
    type: 'function' as const,
    function: { name: 'get_quote', description: 'quote', parameters },
  };
  const quote = tool(async () => '{"price":1}', {
    name: 'get_quote',
    description: 'quote',
    schema: parameters as never,
  });
  const agentLaps: number[] = [];
  const loopLaps: number[] = [];
  for (let k = 0; k < 120; k++) {
    const a = performance.now();
    const answer = createMiddleware({
      name: 'answer',
      wrapToolCall: async (request) =>
        new ToolMessage({
          tool_call_id: request.toolCall.id ?? 'call',
          name: request.toolCall.name,
          content: '{"price":1}',
        }),
    });
    const agent = createAgent({
      model: chat,
      tools: [quote],
      systemPrompt: 'system',
      middleware: [answer],
    });
    for await (const _ of await agent.stream(
      { messages: [{ role: 'user', content: 'quote AAPL' }] },
      { streamMode: ['messages', 'updates'] },
    )) {
      // drained
    }
    if (k >= 20) agentLaps.push(performance.now() - a);
    const b = performance.now();
    const model = chat.bindTools([definition]);
    const messages: InstanceType<
      typeof SystemMessage | typeof HumanMessage | typeof AIMessage | typeof ToolMessage
    >[] = [new SystemMessage('system'), new HumanMessage('quote AAPL')];
    for (let round = 0; round < 3; round++) {
      let all: Awaited<ReturnType<typeof model.invoke>> | undefined;
      for await (const chunk of await model.stream(messages)) all = all ? all.concat(chunk) : chunk;
      if (!all?.tool_calls?.length) break;
      messages.push(new AIMessage({ content: '', tool_calls: all.tool_calls }));
      for (const call of all.tool_calls)
        messages.push(
          new ToolMessage({
            tool_call_id: call.id ?? 'call',
            name: call.name,
            content: '{"price":1}',
          }),
        );
    }
    if (k >= 20) loopLaps.push(performance.now() - b);
  }
  return { create_agent: summary(agentLaps), own_loop: summary(loopLaps) };
}

export async function benchChat(config: Config, emit: (line: object) => void): Promise<void> {
  const database = await freshDatabase(config);
  const fake = await startFakeOllama([quoteModel]);
  const port = await freePort();
  const server = await startServer({
    config: {
      ...config,
      databaseUrl: database.url,
      http: { host: '127.0.0.1', port },
      ollama: { ...config.ollama, host: fake.url, model: 'qwen3:8b' },
    },
    logger: silentLogger(),
  });
  try {
    const pool = server.database.pool;
    let tokens = 0;
    const token = () =>
      createApiToken(pool, {
        principal: `bench-chat-${tokens++}`,
        role: 'trader',
        scopes: ['read', 'propose'],
      });

    // 1. /quote AAPL through POST /api/chat, to the done event.
    const laps: number[] = [];
    let bearer = await token();
    for (let k = 0; k < 220; k++) {
      if (k % 100 === 0) bearer = await token();
      const started = performance.now();
      const response = await fetch(`${server.url}/api/chat`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ thread: 'bench', text: '/quote AAPL' }),
      });
      const text = await response.text();
      if (!text.includes('event: done') || !text.includes('"ok":true'))
        throw new Error(`bad answer: ${text.slice(0, 300)}`);
      if (k >= 20) laps.push(performance.now() - started);
    }
    emit({ bench: 'chat_slash_quote_http', target_p95_ms: 10, ...summary(laps) });

    // 2. A one-tool model turn through the engine (in-process), memory read and written.
    const { rows } = await pool.query<{ id: string }>(
      "SELECT id FROM principals WHERE handle = 'local'",
    );
    const principal = {
      id: (rows[0] as { id: string }).id,
      handle: 'local',
      scopes: ['read', 'propose'] as ('read' | 'propose')[],
    };
    const agent = createOllamaAgent({
      host: fake.url,
      model: 'qwen3:8b',
      numCtx: config.ollama.numCtx,
      timeoutMs: 10_000,
      maxToolCalls: 6,
    });
    await agent.probe();
    const { createOrdersRuntime } = await import('../orders/runtime.js');
    const { createKv } = await import('../store/kv/kv.js');
    const kv = await createKv({ logger: silentLogger() });
    const orders = createOrdersRuntime({ pool, bus: kv.bus, config, logger: silentLogger() });
    const engine = createChatEngine({ pool, orders: orders.orders, agent });
    const run = async (thread: string, text: string) => {
      let done = false;
      for await (const event of engine.turn({
        principal,
        surface: { channel: 'cli', approval: null },
        thread,
        text,
      }))
        if (event.type === 'done') done = event.mode === 'agent' && event.tool_calls === 1;
      if (!done) throw new Error('the model turn did not run one tool');
    };
    const turns: number[] = [];
    for (let k = 0; k < 120; k++) {
      const started = performance.now();
      await run(`one-tool-${k % 10}`, "what's AAPL at?");
      if (k >= 20) turns.push(performance.now() - started);
    }
    emit({
      bench: 'chat_agent_one_tool_turn',
      target_p95_ms: 15,
      includes: 'two loopback calls to the Ollama stand-in (it answers at once)',
      ...summary(turns),
    });

    // 3. 1,000 turns in one thread: the heap stays flat, the prompt stays under num_ctx.
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let largestPrompt = 0;
    fake.chats.length = 0;
    const long: number[] = [];
    for (let k = 0; k < 1000; k++) {
      const started = performance.now();
      await run('long-thread', `what's AAPL at? (turn ${k})`);
      long.push(performance.now() - started);
      for (const chat of fake.chats)
        largestPrompt = Math.max(largestPrompt, Math.ceil(JSON.stringify(chat).length / 3.5));
      fake.chats.length = 0;
    }
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    emit({
      bench: 'chat_thread_1000_turns',
      turns: 1000,
      heap_before_mib: mib(heapBefore),
      heap_after_mib: mib(heapAfter),
      gc_exposed: typeof global.gc === 'function',
      largest_prompt_tokens_est: largestPrompt,
      num_ctx: config.ollama.numCtx,
      first_100_p95_ms: summary(long.slice(0, 100)).p95_ms,
      last_100_p95_ms: summary(long.slice(-100)).p95_ms,
    });
    // 4. Why the engine runs its own loop over ChatOllama rather than langchain's createAgent:
    // the same one-tool round trip against the same stand-in, no database, both ways.
    emit({ bench: 'chat_loop_vs_create_agent', ...(await loopVersusCreateAgent(fake.url)) });
    await orders.close();
    await kv.close();
  } finally {
    await server.stop();
    await fake.close();
    await database.dispose();
  }
}
