/**
 * `countersign chat`: the conversation engine in a terminal, as the local principal (or --as).
 * Plain language goes to the local model when Ollama answers, slash commands always work;
 * answers stream as they are written, long tools show progress, proposals are shown in full and
 * wait for `/approve <id>` typed here (the person at the terminal is the local human channel).
 * `--message TEXT` answers once (with --json, one JSON object) for scripts. Threads are kept in
 * the database: `--thread NAME` continues one, `/new` starts another, `/exit` or Ctrl-D ends.
 */
import readline from 'node:readline';
import type { ChatEngine, ChatSurface } from '../agents/engine.js';
import type { ChatEvent } from '../agents/events.js';
import { createChatRuntime, describeAgentStatus } from '../agents/runtime.js';
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import type { ToolPrincipal } from '../tools/tool.js';
import { cliPrincipal } from './cli-principal.js';
import { reportFailure } from './errors.js';
import { table } from './output.js';
import { withOrders } from './proposals.js';
import { UsageError } from './run-options.js';

export interface ChatOptions {
  thread?: string;
  message?: string;
  json?: boolean;
  as?: string;
}

const SURFACE: ChatSurface = {
  channel: 'cli',
  approval: { channel: 'cli', credential: { kind: 'local' } },
};

/** How events look in a terminal: text as it streams, tools and progress as short lines. */
function printer(out: NodeJS.WriteStream) {
  let midLine = false;
  const line = (text: string) => {
    if (midLine) out.write('\n');
    out.write(`${text}\n`);
    midLine = false;
  };
  return (event: ChatEvent) => {
    switch (event.type) {
      case 'text':
        out.write(event.text);
        midLine = !event.text.endsWith('\n');
        break;
      case 'tool_started':
        line(`· ${event.tool} ${JSON.stringify(event.args)}`);
        break;
      case 'tool_progress':
        line(`· ${event.tool}: ${event.message ?? `${event.done} of ${event.total}`}`);
        break;
      case 'tool_result':
        if (!event.ok) line(`· ${event.tool} failed: ${event.error?.message ?? ''}`);
        break;
      case 'proposal':
        line(table(event.lines.map((one) => [one.label, one.text])));
        line(event.message);
        break;
      case 'error':
        line(`! ${event.message}`);
        break;
      case 'done':
        if (midLine) out.write('\n');
        midLine = false;
        break;
    }
  };
}

/** One turn; returns its done event and every event. */
async function turn(
  engine: ChatEngine,
  principal: ToolPrincipal,
  thread: string,
  text: string,
  onEvent: (event: ChatEvent) => void,
  signal?: AbortSignal,
): Promise<{ done?: Extract<ChatEvent, { type: 'done' }>; events: ChatEvent[] }> {
  const events: ChatEvent[] = [];
  let done: Extract<ChatEvent, { type: 'done' }> | undefined;
  for await (const event of engine.turn({
    principal,
    surface: SURFACE,
    thread,
    text,
    ...(signal ? { signal } : {}),
  })) {
    events.push(event);
    onEvent(event);
    if (event.type === 'done') done = event;
  }
  return { done, events };
}

/** The --json document of one turn. */
function turnJson(events: ChatEvent[]) {
  const done = events.find((e) => e.type === 'done') as
    | Extract<ChatEvent, { type: 'done' }>
    | undefined;
  return {
    thread: done?.thread,
    conversation_id: done?.conversation_id,
    mode: done?.mode,
    text: events
      .filter((e): e is Extract<ChatEvent, { type: 'text' }> => e.type === 'text')
      .map((e) => e.text)
      .join(''),
    tool_calls: events
      .filter((e): e is Extract<ChatEvent, { type: 'tool_result' }> => e.type === 'tool_result')
      .map((e) => ({
        tool: e.tool,
        ok: e.ok,
        ids: e.ids,
        ...(e.ok ? { output: e.output } : { error: e.error }),
      })),
    proposals: events.filter((e) => e.type === 'proposal'),
    errors: events.filter((e) => e.type === 'error'),
    elapsed_ms: done?.elapsed_ms,
  };
}

export async function chatCommand(options: ChatOptions): Promise<void> {
  try {
    let thread = options.thread ?? 'main';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(thread))
      throw new UsageError(
        `--thread "${thread.slice(0, 70)}" is not 1-64 of letters, digits, ".", "_" and "-"`,
      );
    const config = loadConfig();
    const logger = createLogger({
      level: config.logLevel === 'info' ? 'warn' : config.logLevel,
      stream: 'stderr',
    });
    await withOrders(async ({ orders }, pool) => {
      const handle = options.as ?? 'local';
      const principal: ToolPrincipal = {
        id: await cliPrincipal(pool, handle),
        handle,
        scopes: ['read', 'propose'],
        credential: { kind: 'local' },
      };
      const runtime = createChatRuntime({ pool, orders, config, logger });
      const status = await runtime.checked;
      process.stderr.write(`countersign chat: agent ${describeAgentStatus(status)}\n`);

      if (options.message !== undefined) {
        const show = options.json ? () => undefined : printer(process.stdout);
        const { events } = await turn(runtime.engine, principal, thread, options.message, show);
        if (options.json) console.log(JSON.stringify(turnJson(events)));
        if (events.some((e) => e.type === 'error')) process.exitCode = 1;
        return;
      }

      const interactive = process.stdin.isTTY === true;
      const rl = readline.createInterface({
        input: process.stdin,
        output: process.stdout,
        terminal: interactive,
      });
      const show = printer(process.stdout);
      let running: AbortController | undefined;
      rl.on('SIGINT', () => {
        if (running) running.abort();
        else rl.close();
      });
      if (interactive)
        process.stdout.write(
          `Countersign chat, thread "${thread}" as ${handle}. /help lists the commands; /exit or Ctrl-D ends.\n`,
        );
      const prompt = () => interactive && process.stdout.write(`${thread}> `);
      prompt();
      for await (const raw of rl) {
        const text = raw.trim();
        if (text === '') {
          prompt();
          continue;
        }
        if (text === '/exit' || text === '/quit') break;
        running = new AbortController();
        const { done } = await turn(runtime.engine, principal, thread, text, show, running.signal);
        running = undefined;
        if (done?.thread) thread = done.thread;
        prompt();
      }
      rl.close();
    });
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`countersign chat: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = reportFailure(error);
  }
}
