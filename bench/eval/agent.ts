/**
 * `npm run eval:agent -- --file FILE.jsonl`: how well the configured model (OLLAMA_HOST,
 * OLLAMA_MODEL) turns requests into tool calls through the conversation engine. Each line is
 * `{"say": "...", "tool": "run_backtest" | null, "args": {...}}`; the request is sent on a fresh
 * thread against a fresh database holding the bundled sample (tools really run; proposals are
 * never approved: the model has no way to). The first tool call is scored: the name exactly;
 * each expected argument — names, symbols and sides exactly (symbols case-insensitive), numbers
 * within 1 %, dates exactly, lists element by element; arguments not expected are ignored. A line
 * with `"tool": null` must end with no proposal (a refusal, an injection). One JSON line per
 * request, then `{"eval":"agent","n":…,"tool_accuracy":…,"args_accuracy":…}`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createChatEngine } from '../../agents/engine.js';
import type { ChatEvent } from '../../agents/events.js';
import { createOllamaAgent } from '../../agents/ollama-agent.js';
import { loadConfig } from '../../config/env.js';
import { silentLogger } from '../../config/logger.js';
import { createOrdersRuntime } from '../../orders/runtime.js';
import { migrate } from '../../store/db/migrate.js';
import { createPool } from '../../store/db/pool.js';
import { createKv } from '../../store/kv/kv.js';
import { loadSampleIfEmpty } from '../../store/market-data/sample.js';
import { freshDatabase } from '../fresh-database.js';

interface EvalLine {
  say: string;
  tool: string | null;
  args?: Record<string, unknown>;
}

/** Does `got` match `want` as the harness scores arguments? */
export function argumentMatches(want: unknown, got: unknown): boolean {
  if (typeof want === 'number')
    return typeof got === 'number' && Math.abs(got - want) <= Math.abs(want) * 0.01;
  if (typeof want === 'string')
    return typeof got === 'string' && (got === want || got.toUpperCase() === want.toUpperCase());
  if (Array.isArray(want))
    return (
      Array.isArray(got) &&
      got.length === want.length &&
      want.every((item, k) => argumentMatches(item, got[k]))
    );
  if (typeof want === 'object' && want !== null)
    return (
      typeof got === 'object' &&
      got !== null &&
      Object.entries(want).every(([key, value]) =>
        argumentMatches(value, (got as Record<string, unknown>)[key]),
      )
    );
  return want === got;
}

/** Parses the file: one request per non-empty line; a bad line names its number. */
export function parseEvalFile(text: string): EvalLine[] {
  return text
    .split('\n')
    .map((line, k) => [line.trim(), k + 1] as const)
    .filter(([line]) => line !== '' && !line.startsWith('//'))
    .map(([line, number]) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        throw new Error(`line ${number}: not JSON (${(error as Error).message})`);
      }
      const one = parsed as Partial<EvalLine>;
      if (typeof one.say !== 'string' || one.say.trim() === '')
        throw new Error(`line ${number}: "say" must be a non-empty string`);
      if (one.tool !== null && typeof one.tool !== 'string')
        throw new Error(`line ${number}: "tool" must be a tool name or null`);
      return { say: one.say, tool: one.tool, ...(one.args ? { args: one.args } : {}) };
    });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { file: { type: 'string' } } });
  if (!values.file) {
    console.error(
      'usage: npm run eval:agent -- --file FILE.jsonl (bench/eval/requests.jsonl is the public set)',
    );
    process.exit(2);
  }
  const lines = parseEvalFile(await readFile(values.file, 'utf8'));
  const config = loadConfig();
  const agent = createOllamaAgent({
    host: config.ollama.host,
    model: config.ollama.model,
    numCtx: config.ollama.numCtx,
    timeoutMs: config.ollama.timeoutMs,
    maxToolCalls: config.agent.maxToolCalls,
  });
  const status = await agent.probe();
  if (status.state !== 'ready') {
    console.error(`eval:agent needs a model that answers: ${status.detail}`);
    process.exit(2);
  }
  const database = await freshDatabase(config);
  const pool = createPool(database.url, { max: 4 });
  const kv = await createKv({ logger: silentLogger() });
  const orders = createOrdersRuntime({ pool, bus: kv.bus, config, logger: silentLogger() });
  try {
    await migrate(pool, silentLogger());
    await loadSampleIfEmpty(pool, silentLogger());
    const engine = createChatEngine({ pool, orders: orders.orders, agent });
    const { rows } = await pool.query<{ id: string }>(
      "SELECT id FROM principals WHERE handle = 'local'",
    );
    const principal = {
      id: (rows[0] as { id: string }).id,
      handle: 'local',
      scopes: ['read', 'propose'] as ('read' | 'propose')[],
    };
    let toolHits = 0;
    let argHits = 0;
    let argScored = 0;
    for (const [k, line] of lines.entries()) {
      const events: ChatEvent[] = [];
      const started = performance.now();
      for await (const event of engine.turn({
        principal,
        surface: { channel: 'cli', approval: null },
        thread: `eval-${k}`,
        text: line.say,
      }))
        events.push(event);
      const first = events.find(
        (e): e is Extract<ChatEvent, { type: 'tool_started' }> => e.type === 'tool_started',
      );
      const proposed = events.some((e) => e.type === 'proposal');
      const toolOk = line.tool === null ? !proposed : first?.tool === line.tool;
      const argsOk =
        line.tool === null || line.args === undefined
          ? null
          : toolOk && argumentMatches(line.args, first?.args ?? {});
      if (toolOk) toolHits++;
      if (argsOk !== null) {
        argScored++;
        if (argsOk) argHits++;
      }
      console.log(
        JSON.stringify({
          eval: 'agent_request',
          n: k + 1,
          say: line.say,
          want: line.tool,
          got: first?.tool ?? null,
          args: first?.args ?? null,
          proposed,
          tool_ok: toolOk,
          args_ok: argsOk,
          ms: Math.round(performance.now() - started),
        }),
      );
    }
    console.log(
      JSON.stringify({
        eval: 'agent',
        model: config.ollama.model,
        n: lines.length,
        tool_accuracy: lines.length ? toolHits / lines.length : null,
        args_accuracy: argScored ? argHits / argScored : null,
      }),
    );
  } finally {
    await orders.close();
    await kv.close();
    await pool.end();
    await database.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
