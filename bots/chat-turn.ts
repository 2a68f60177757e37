/**
 * One conversation turn as a chat channel shows it, the same for Telegram and Slack: the first
 * tool call posts a "Working: …" message, later calls and progress edit it (at most once a
 * second), and at the end that message becomes the answer; then the turn's charts and its
 * proposal cards follow. The channel supplies only how to post, edit and attach.
 */
import type { ChatEngine } from '../agents/engine.js';
import type { ChatEvent } from '../agents/events.js';
import type { Logger } from '../config/logger.js';
import type { Orders } from '../orders/service.js';
import type { Proposal } from '../orders/types.js';
import type { Pool } from '../store/db/pool.js';
import type { ToolPrincipal } from '../tools/tool.js';
import { chartsOfTurn, type TurnChart } from './turn-charts.js';

/** A progress edit at most this often per message. */
const PROGRESS_EVERY_MS = 1000;

/** How a channel shows a turn. */
export interface TurnOutlet {
  /** Posts a message; returns its ref (for edits). */
  post(text: string): Promise<string>;
  /** Edits a posted message (the channel swallows and logs its own failures). */
  edit(ref: string, text: string): Promise<void>;
  /** Shows the answer: in the progress message when there is one. */
  answer(text: string, progressRef: string | undefined): Promise<void>;
  chart(chart: TurnChart): Promise<void>;
  proposal(proposal: Proposal): Promise<void>;
}

export async function runChatTurn(
  deps: { engine: ChatEngine; pool: Pool; orders: Orders; logger: Logger },
  turn: { principal: ToolPrincipal; channel: 'telegram' | 'slack'; thread: string; text: string },
  outlet: TurnOutlet,
): Promise<void> {
  let progress: string | undefined;
  let lastEdit = 0;
  const answer: string[] = [];
  const proposals: string[] = [];
  const results: Extract<ChatEvent, { type: 'tool_result' }>[] = [];
  for await (const event of deps.engine.turn({
    principal: turn.principal,
    surface: { channel: turn.channel, approval: null },
    thread: turn.thread.slice(0, 64),
    text: turn.text,
  }) as AsyncIterable<ChatEvent>) {
    if (event.type === 'tool_started') {
      if (progress === undefined) {
        progress = await outlet.post(`Working: ${event.tool}…`);
        lastEdit = Date.now();
      } else await outlet.edit(progress, `Working: ${event.tool}…`);
    } else if (event.type === 'tool_progress' && progress !== undefined) {
      if (Date.now() - lastEdit >= PROGRESS_EVERY_MS) {
        lastEdit = Date.now();
        await outlet.edit(
          progress,
          `Working: ${event.tool}: ${event.message ?? `${event.done} of ${event.total}`}`,
        );
      }
    } else if (event.type === 'text') answer.push(event.text);
    else if (event.type === 'error') answer.push(`\n${event.message}`);
    else if (event.type === 'proposal') proposals.push(event.proposal_id);
    else if (event.type === 'tool_result') results.push(event);
  }
  await outlet.answer(answer.join('').trim() || 'Done.', progress);
  for (const chart of await chartsOfTurn(deps.pool, turn.principal, results, deps.logger))
    await outlet.chart(chart);
  for (const id of proposals) await outlet.proposal(await deps.orders.getProposal(id));
}
