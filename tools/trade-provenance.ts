/**
 * The parts of explain_trade that reach beyond the proposal's own rows: the strategy's indicator
 * values on the entry and exit bars, the screen that picked the symbol (re-run point-in-time on
 * the stored bars, with each factor's contribution), the chat turn that proposed it, and the
 * notes and retrieved passages about it. Each returns what it found and, when it found nothing,
 * a sentence for not_known saying why.
 */
import { z } from 'zod';
import { lastIndexOnOrBefore } from '../core/screening/filters.js';
import { MAX_TOP } from '../core/screening/request.js';
import { screenStocks } from '../core/screening/screen.js';
import { priceView } from '../core/series/price-series.js';
import { STRATEGIES, strategyByName } from '../core/strategies/index.js';
import { parseStrategyParams } from '../core/strategies/params.js';
import { strategyReading } from '../core/strategies/readings.js';
import { modelsOf, type ScreenScores } from '../models/service.js';
import type { ProposalOrigin } from '../orders/types.js';
import { loadSeries } from '../store/market-data/load-series.js';
import { loadUniverse } from '../store/market-data/universe.js';
import { retrievalOf } from './search-trade-history.js';
import { seriesSourceOf } from './series-source.js';
import type { ToolContext } from './tool.js';

export const provenanceOutput = {
  signals: z
    .array(
      z.object({
        role: z.enum(['entry', 'exit']).describe('entry (a buy) or exit (a sell) of the position'),
        symbol: z.string().describe('Ticker'),
        side: z.string().describe('buy or sell'),
        order_id: z.string().nullable().describe('The order traded, when there is one'),
        imported_trade_id: z.string().nullable().describe('The imported trade, when it is one'),
        bar_date: z
          .string()
          .describe('The bar it was decided on: the last close before the trade day'),
        strategy: z.string().describe('Built-in strategy'),
        params: z.record(z.string(), z.number()).describe('Its parameters'),
        params_source: z
          .enum(['recorded', 'defaults'])
          .describe('recorded with the proposal, or the defaults (none were recorded)'),
        signal: z
          .string()
          .describe(
            'Its signal on that bar: buy, sell (exits a long in long-only runs), exit_long, exit_short, none, ranked',
          ),
        values: z
          .record(z.string(), z.number().nullable())
          .describe('Indicator values on that bar (adjusted prices; null in warm-up)'),
      }),
    )
    .describe('The strategy on the entry and exit bars, when a built-in strategy is named'),
  screen: z
    .object({
      as_of: z.string().describe('Screen date'),
      rank: z
        .number()
        .int()
        .nullable()
        .describe('Rank of the symbol (1 = best), null if not ranked'),
      of: z.number().int().describe('Symbols ranked'),
      score: z.number().nullable().describe('Its score'),
      contributions: z.record(z.string(), z.number()).describe('weight × z per factor'),
      factors: z.record(z.string(), z.number()).describe('Raw factor values'),
      weights: z.record(z.string(), z.number()).describe('Factor weights used'),
      excluded: z.string().nullable().describe('Why it was not ranked, when it was not'),
      model_score: z
        .number()
        .nullable()
        .describe("The live model's score for it on that date; null: not scored"),
      model_contributions: z
        .record(z.string(), z.number())
        .optional()
        .describe('Per feature, how far it moved model_score'),
      model: z
        .string()
        .describe('Which model scored it (a model trained past the screen date has seen it)'),
    })
    .nullable()
    .describe('The screen that picked it, re-run on the stored bars, when one was recorded'),
  chat_turn: z
    .object({
      conversation_id: z.string().describe('Conversation id'),
      channel: z.string().describe('Where the chat was'),
      thread: z.string().nullable().describe('Thread name'),
      asked: z.string().describe('What the person typed in that turn (quoted text)'),
      at: z.string().describe('ISO time of the turn'),
    })
    .nullable()
    .describe('The chat turn in which the agent proposed it, when it came from chat'),
  related_notes: z
    .array(
      z.object({
        note_id: z.string().describe('Note id'),
        attached_to: z.enum(['proposal', 'order', 'symbol']).describe('What it is attached to'),
        body: z.string().describe('The note (quoted text)'),
        created_at: z.string().describe('ISO time'),
      }),
    )
    .describe('Journal notes on it, its orders, or its symbol within 30 days'),
  related_passages: z
    .array(
      z.object({
        id: z.string().describe('Passage id'),
        kind: z.string().describe('Passage kind'),
        text: z.string().describe('The passage (quoted text)'),
        cites: z.record(z.string(), z.string()).describe('Ids it cites'),
      }),
    )
    .describe('Other passages of the history about it (search_trade_history)'),
};

type Signal = z.infer<typeof provenanceOutput.signals>[number];
type Found<T> = { found: T; notKnown: string[] };

/** One trade to read the strategy at. */
export interface TradePoint {
  symbol: string;
  side: 'buy' | 'sell';
  date: string;
  order_id: string | null;
  imported_trade_id: string | null;
}

/**
 * The strategy's readings on the bar of each trade point. The other side of the position (the
 * sell after a buy, the buy before a sell, in the same account and symbol) is found by the caller.
 */
export async function strategySignals(
  context: ToolContext,
  strategy: string | null,
  origin: ProposalOrigin | null,
  points: TradePoint[],
): Promise<Found<Signal[]>> {
  if (strategy === null)
    return { found: [], notKnown: ['no strategy named: no signal values to show'] };
  if (!STRATEGIES.some((s) => s.name === strategy))
    return {
      found: [],
      notKnown: [
        `strategy "${strategy}" is a label, not a built-in strategy (${STRATEGIES.map((s) => s.name).join(', ')}): no indicator values`,
      ],
    };
  const definition = strategyByName(strategy);
  const recorded = origin?.strategy_params;
  const params = parseStrategyParams(definition, recorded ?? {});
  const notKnown = recorded
    ? []
    : [
        `${strategy}'s parameters were not recorded with the proposal: its defaults (${Object.entries(
          params,
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}) are shown`,
      ];
  const found: Signal[] = [];
  for (const point of points) {
    try {
      const [series] = await loadSeries(seriesSourceOf(context), {
        symbols: [point.symbol],
        to: point.date,
      });
      if (!series) continue;
      const view = priceView(series, 'adjusted');
      // A daily strategy decides on a close and trades the next day: the last bar before the trade day.
      let t = lastIndexOnOrBefore(view.dates, point.date);
      if (view.dates[t] === point.date) t -= 1;
      if (t < 0) {
        notKnown.push(`no bar of ${point.symbol} before ${point.date}: no signal values`);
        continue;
      }
      const reading = strategyReading(definition, view, params, t);
      found.push({
        role: point.side === 'buy' ? 'entry' : 'exit',
        symbol: point.symbol,
        side: point.side,
        order_id: point.order_id,
        imported_trade_id: point.imported_trade_id,
        bar_date: view.dates[t] as string,
        strategy,
        params,
        params_source: recorded ? 'recorded' : 'defaults',
        signal: reading.signal,
        values: reading.values,
      });
    } catch (error) {
      notKnown.push(
        `no bars for ${point.symbol} up to ${point.date}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return { found, notKnown };
}

/** The other side of a position: the next sell after a buy, or the last buy before a sell. */
export async function counterpart(
  context: ToolContext,
  account: string,
  point: TradePoint,
): Promise<TradePoint | undefined> {
  const later = point.side === 'buy';
  const { rows } = await context.pool.query<{ order_id: string; filled_at: Date }>(
    `SELECT f.order_id, f.filled_at FROM fills f JOIN orders o ON o.id = f.order_id
      WHERE o.account_id = $1 AND f.symbol = $2 AND f.side = $3
        AND ${later ? 'f.filled_at::date >= $4::date' : 'f.filled_at::date <= $4::date'}
        AND f.order_id IS DISTINCT FROM $5::uuid
      ORDER BY f.filled_at ${later ? 'ASC' : 'DESC'}, f.id LIMIT 1`,
    [account, point.symbol, later ? 'sell' : 'buy', point.date, point.order_id],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    symbol: point.symbol,
    side: later ? 'sell' : 'buy',
    date: row.filled_at.toISOString().slice(0, 10),
    order_id: row.order_id,
    imported_trade_id: null,
  };
}

/** The recorded screen re-run on the stored bars as of its date, and this symbol's row in it. */
export async function screenOf(
  context: ToolContext,
  symbol: string,
  origin: ProposalOrigin | null,
): Promise<Found<z.infer<typeof provenanceOutput.screen>>> {
  const recorded = origin?.screen;
  if (!recorded) return { found: null, notKnown: ['no screen was recorded as leading to it'] };
  try {
    const universe = await loadUniverse(seriesSourceOf(context), {
      symbols: 'all',
      to: recorded.as_of,
    });
    const models = modelsOf(context.pool);
    const scores: ScreenScores = models
      ? await models.screenScores(universe.series, recorded.as_of)
      : { available: false, reason: 'this process runs no model core' };
    const result = screenStocks(universe, {
      asOf: recorded.as_of,
      top: MAX_TOP,
      ...(recorded.weights ? { weights: recorded.weights } : {}),
      ...(scores.available ? { modelScores: scores.scores } : {}),
    });
    const parts = scores.available ? scores.contributions?.[symbol] : undefined;
    const row = result.rows.find((r) => r.symbol === symbol);
    const exclusion = result.exclusions.find((e) => e.symbol === symbol);
    return {
      found: {
        as_of: result.asOf,
        rank: row?.rank ?? null,
        of: result.passed,
        score: row?.score ?? null,
        contributions: (row?.contributions ?? {}) as Record<string, number>,
        factors: (row?.factors ?? {}) as Record<string, number>,
        weights: result.weights,
        excluded: row
          ? null
          : exclusion
            ? `${exclusion.reason}: ${exclusion.detail}`
            : `not in the top ${MAX_TOP}`,
        model_score: scores.available ? (scores.scores[symbol] ?? null) : null,
        ...(parts ? { model_contributions: parts } : {}),
        model: scores.available
          ? `${scores.model.name} v${scores.model.version} (${scores.model.status}), trained ${scores.model.trained_from} to ${scores.model.trained_to}${(scores.model.trained_to ?? '') > recorded.as_of ? ': trained past the screen date, so it has seen what followed' : ''}`
          : `none: ${scores.reason}`,
      },
      notKnown: [],
    };
  } catch (error) {
    return {
      found: null,
      notKnown: [
        `the recorded screen of ${recorded.as_of} could not be re-run: ${error instanceof Error ? error.message : String(error)}`,
      ],
    };
  }
}

/** The chat turn whose tool call made the proposal. */
export async function chatTurnOf(
  context: ToolContext,
  proposalId: string,
): Promise<Found<z.infer<typeof provenanceOutput.chat_turn>>> {
  const { rows } = await context.pool.query<{
    conversation_id: string;
    channel: string;
    thread: string | null;
    asked: string | null;
    at: Date;
  }>(
    `SELECT m.conversation_id, c.channel, c.thread, m.created_at AS at,
            (SELECT u.content FROM messages u
              WHERE u.conversation_id = m.conversation_id AND u.role = 'user' AND u.id < m.id
              ORDER BY u.id DESC LIMIT 1) AS asked
       FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.role = 'tool' AND m.data -> 'ids' ->> 'proposal_id' = $1
      ORDER BY m.id LIMIT 1`,
    [proposalId],
  );
  const row = rows[0];
  if (!row) return { found: null, notKnown: ['no chat turn: it was not proposed in a chat'] };
  return {
    found: {
      conversation_id: row.conversation_id,
      channel: row.channel,
      thread: row.thread,
      asked: row.asked ?? '',
      at: row.at.toISOString(),
    },
    notKnown: [],
  };
}

/** Notes attached to the proposal or its orders, and notes on the symbol within 30 days of `date`. */
export async function relatedNotes(
  context: ToolContext,
  about: { proposalId: string | null; orderIds: string[]; symbol: string; date: string },
): Promise<z.infer<typeof provenanceOutput.related_notes>> {
  const { rows } = await context.pool.query<{
    id: string;
    proposal_id: string | null;
    order_id: string | null;
    body: string;
    created_at: Date;
  }>(
    `SELECT id, proposal_id, order_id, body, created_at FROM notes
      WHERE ($1::uuid IS NOT NULL AND proposal_id = $1) OR order_id = ANY($2::uuid[])
         OR (symbol = $3 AND created_at BETWEEN $4::date - 30 AND $4::date + 31)
      ORDER BY (proposal_id = $1 OR order_id = ANY($2::uuid[])) DESC NULLS LAST, created_at DESC
      LIMIT 10`,
    [about.proposalId, about.orderIds, about.symbol, about.date],
  );
  return rows.map((n) => ({
    note_id: n.id,
    attached_to:
      about.proposalId !== null && n.proposal_id === about.proposalId
        ? 'proposal'
        : n.order_id !== null && about.orderIds.includes(n.order_id)
          ? 'order'
          : 'symbol',
    body: n.body,
    created_at: n.created_at.toISOString(),
  }));
}

/** Up to three other passages about the trade, from retrieval (its own passages and notes left out). */
export async function relatedPassages(
  context: ToolContext,
  about: { ids: string[]; symbol: string; question: string; noteIds: string[] },
): Promise<Found<z.infer<typeof provenanceOutput.related_passages>>> {
  try {
    const retrieval = retrievalOf(context);
    await retrieval.catchUp();
    const result = await retrieval.search(about.question, {
      filter: { symbol: about.symbol },
      limit: 8,
    });
    const own = new Set([...about.ids, ...about.noteIds]);
    const found = result.passages
      .filter((p) => !Object.values(p.cites).some((id) => own.has(id)))
      .slice(0, 3)
      .map((p) => ({ id: p.id, kind: p.kind, text: p.text, cites: p.cites }));
    return { found, notKnown: [] };
  } catch (error) {
    return {
      found: [],
      notKnown: [
        `related passages unavailable: ${error instanceof Error ? error.message : String(error)}`,
      ],
    };
  }
}
