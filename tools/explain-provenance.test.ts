/**
 * explain_trade's full provenance against a real database and the sample prices: the strategy's
 * indicator values on the entry and exit bars (checked against averages computed here from the
 * sample file), the recorded screen re-run with each factor's contribution, slippage against the
 * reference price, the notes and passages about the trade, and an imported trade's signals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { silentLogger } from '../config/logger.js';
import { testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { insertNote } from '../store/repos/notes-repo.js';
import { importTradeFile } from '../store/trades-import/import-trade-file.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR, tempFolder, writeCsv } from '../test/helpers/fixtures.js';
import { loadSamplePrices } from '../test/helpers/sample-prices.js';
import { explainTrade } from './explain-trade.js';
import { proposeOrder } from './propose-order.js';
import type { Tool, ToolContext } from './tool.js';
import { ToolError } from './tool.js';

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let local: string;
let folder: { dir: string; cleanup: () => Promise<void> };

/** Trading days of AAPL in the sample, and its adjusted closes, read from the file directly. */
let dates: string[];
let closes: Float64Array;
const mean = (end: number, n: number) => {
  let sum = 0;
  for (let i = end + 1 - n; i <= end; i++) sum += closes[i] as number;
  return sum / n;
};

beforeAll(async () => {
  db = await createTestDatabase();
  folder = await tempFolder();
  await importPaths(db.pool, [SAMPLE_DIR]);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = (rows[0] as { id: string }).id;
  t = testOrders(db.pool);
  t.prices.set('AAPL', '130');
  // The fills below are written straight into the ledger, so positions do not follow them.
  await db.pool.query("UPDATE accounts SET allow_short = true WHERE id = 'paper'");
  const sample = await loadSamplePrices('AAPL');
  dates = sample.dates;
  closes = sample.close;
});

afterAll(async () => {
  await db?.drop();
  await folder?.cleanup();
});

const context = (): ToolContext => ({
  principal: { id: local, handle: 'local', scopes: ['read', 'propose'] },
  pool: db.pool,
  orders: t.orders,
  channel: 'mcp',
  proposerKind: 'mcp_client',
  logger: silentLogger(),
  progress: () => {},
  signal: new AbortController().signal,
  now: () => new Date(),
});

async function call<I extends z.ZodObject, O extends z.ZodObject>(
  tool: Tool<I, O>,
  raw: unknown,
): Promise<z.infer<O>> {
  return tool.output.parse(await tool.handler(tool.input.parse(raw), context())) as z.infer<O>;
}

/** The bars (indexes) where SMA10 crosses above / below SMA50 in 2019, computed here. */
function crosses2019(): { up: number; down: number } {
  let up = -1;
  for (let i = 51; i < dates.length; i++) {
    if (!(dates[i] as string).startsWith('2019')) continue;
    const now = mean(i, 10) - mean(i, 50);
    const before = mean(i - 1, 10) - mean(i - 1, 50);
    if (up < 0 && now > 0 && before <= 0) up = i;
    else if (up >= 0 && now < 0 && before >= 0) return { up, down: i };
  }
  throw new Error('no cross up and down in 2019 in the AAPL sample');
}

/** Proposes, approves and fills one order at `price` on `day`; returns the proposal and order ids. */
async function traded(
  side: 'buy' | 'sell',
  day: string,
  price: number,
  extra: Record<string, unknown>,
) {
  const proposed = await call(proposeOrder, {
    symbol: 'AAPL',
    side,
    quantity: 10,
    rationale: `${side} AAPL on the sma_cross signal`,
    strategy: 'sma_cross',
    ...extra,
  });
  const outcome = await t.orders.approve({
    proposalId: proposed.id,
    principalId: local,
    channel: 'cli',
    orderHash: proposed.order_hash,
    evidence: { kind: 'cli', osUser: 'local' },
  });
  if (outcome.status !== 'submitted') throw new Error(`not submitted: ${outcome.status}`);
  const order = (outcome.orders[0] as { id: string }).id;
  await db.pool.query(
    `INSERT INTO fills (order_id, account_id, symbol, side, quantity, price, commission, filled_at)
     VALUES ($1, 'paper', 'AAPL', $2, 10, $3, 1, $4)`,
    [order, side, price, `${day}T14:30:00Z`],
  );
  return { proposal: proposed.id, order };
}

describe('explain_trade provenance', () => {
  let buy: { proposal: string; order: string };
  let sell: { proposal: string; order: string };
  let cross: { up: number; down: number };

  beforeAll(async () => {
    cross = crosses2019();
    // Bought the day after the cross up at 130.13 (10 bps above the 130 reference), with the
    // parameters and the screen of that day recorded; sold the day after the cross down with none.
    buy = await traded('buy', dates[cross.up + 1] as string, 130.13, {
      strategy_params: { fast: 10, slow: 50 },
      screen: { as_of: dates[cross.up] },
    });
    sell = await traded('sell', dates[cross.down + 1] as string, 129.87, {});
    await insertNote(db.pool, {
      principalId: local,
      symbol: 'AAPL',
      proposalId: buy.proposal,
      body: 'Golden cross after a long base; stop under the 50-day.',
    });
    // Another AAPL proposal: retrieval should bring it as a related passage.
    await call(proposeOrder, {
      symbol: 'AAPL',
      side: 'buy',
      quantity: 1,
      rationale: 'AAPL starter position for the sma_cross sleeve',
    });
  });

  it('shows sma_cross on the entry bar and the exit bar, with averages equal to the sample file', async () => {
    const explained = await call(explainTrade, { proposal_id: buy.proposal });
    expect(explained.signals).toHaveLength(2);
    const [entry, exit] = explained.signals;
    expect(entry).toMatchObject({
      role: 'entry',
      side: 'buy',
      order_id: buy.order,
      bar_date: dates[cross.up],
      strategy: 'sma_cross',
      params: { fast: 10, slow: 50 },
      params_source: 'recorded',
      signal: 'buy',
    });
    expect(entry?.values.sma_10).toBeCloseTo(mean(cross.up, 10), 6);
    expect(entry?.values.sma_50).toBeCloseTo(mean(cross.up, 50), 6);
    expect(entry?.values.close).toBeCloseTo(closes[cross.up] as number, 6);
    expect(exit).toMatchObject({
      role: 'exit',
      side: 'sell',
      order_id: sell.order,
      bar_date: dates[cross.down],
      signal: 'sell',
    });
    expect(exit?.values.sma_10 as number).toBeLessThan(exit?.values.sma_50 as number);
    expect(explained.not_known).not.toContainEqual(expect.stringMatching(/parameters/));
  });

  it('re-runs the recorded screen on its date and gives the symbol its rank and factor contributions', async () => {
    const explained = await call(explainTrade, { proposal_id: buy.proposal });
    const screen = explained.screen;
    expect(screen).not.toBeNull();
    expect(screen?.as_of).toBe(dates[cross.up]);
    expect(screen?.of).toBeGreaterThan(30);
    expect(screen?.rank).toBeGreaterThanOrEqual(1);
    expect(screen?.rank).toBeLessThanOrEqual(screen?.of as number);
    const contributions = Object.values(screen?.contributions ?? {});
    expect(contributions.length).toBeGreaterThan(1);
    // The score is the sum of the contributions, as the screen defines it.
    expect(contributions.reduce((a, b) => a + b, 0)).toBeCloseTo(screen?.score as number, 9);
    // No model core in this process: said, not guessed.
    expect(screen?.model).toBe('none: this process runs no model core');
    expect(screen?.model_score).toBeNull();
  });

  it('gives each fill its reference price and slippage, and the notes and passages about it', async () => {
    const explained = await call(explainTrade, { proposal_id: buy.proposal });
    expect(explained.fills).toEqual([
      expect.objectContaining({ price: '130.13', reference_price: '130', slippage_bps: 10 }),
    ]);
    expect(explained.related_notes).toContainEqual(
      expect.objectContaining({
        attached_to: 'proposal',
        body: expect.stringMatching(/Golden cross/),
      }),
    );
    expect(explained.related_passages.length).toBeGreaterThan(0);
    for (const passage of explained.related_passages)
      expect(Object.values(passage.cites)).not.toContain(buy.proposal);
    expect(explained.chat_turn).toBeNull();
    expect(explained.not_known).toContain('no chat turn: it was not proposed in a chat');
    // A sell 10 bps under the reference is 10 bps worse.
    const sold = await call(explainTrade, { order_id: sell.order });
    expect(sold.fills[0]?.slippage_bps).toBe(10);
  });

  it('a sell with no recorded parameters reads the defaults, says so, and finds the buy it closed', async () => {
    const explained = await call(explainTrade, { proposal_id: sell.proposal });
    expect(explained.signals.map((s) => [s.role, s.order_id, s.params_source])).toEqual([
      ['exit', sell.order, 'defaults'],
      ['entry', buy.order, 'defaults'],
    ]);
    expect(explained.not_known).toContainEqual(
      expect.stringMatching(/parameters were not recorded .* defaults \(fast=10 slow=50\)/),
    );
    expect(explained.screen).toBeNull();
    expect(explained.not_known).toContain('no screen was recorded as leading to it');
  });

  it('an imported trade labelled with a built-in strategy gets its signal values too', async () => {
    const file = await writeCsv(folder.dir, 'old.csv', [
      'date,symbol,side,quantity,price,strategy,note,id',
      `${dates[cross.up + 1]},AAPL,buy,3,50,sma_cross,bought the cross,OLD1`,
    ]);
    expect(await importTradeFile(db.pool, file, { today: '2024-01-01' })).toMatchObject({
      ok: true,
    });
    const { rows } = await db.pool.query<{ id: string }>(
      "SELECT id FROM imported_trades WHERE external_id = 'OLD1'",
    );
    const explained = await call(explainTrade, { imported_trade_id: rows[0]?.id });
    expect(explained.signals[0]).toMatchObject({
      role: 'entry',
      imported_trade_id: rows[0]?.id,
      bar_date: dates[cross.up],
      signal: 'buy',
      params_source: 'defaults',
    });
    expect(explained.not_known).toContain('no screen: an imported trade records none');
  });

  it('refuses strategy parameters it cannot use, naming the value and what is valid', async () => {
    const refusal = (raw: Record<string, unknown>) =>
      call(proposeOrder, { symbol: 'AAPL', side: 'buy', quantity: 1, rationale: 'x', ...raw }).then(
        () => null,
        (e: unknown) => e,
      );
    const without = await refusal({ strategy_params: { fast: 5 } });
    expect(without).toBeInstanceOf(ToolError);
    expect((without as Error).message).toMatch(/strategy_params need strategy set .*sma_cross/);
    const bad = await refusal({ strategy: 'sma_cross', strategy_params: { fast: 60, slow: 50 } });
    expect((bad as Error).message).toMatch(/fast/);
    const factor = await refusal({ screen: { as_of: '2021-01-04', weights: { luck: 1 } } });
    expect((factor as Error).message).toMatch(/unknown factor luck; factors are .*momentum/);
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM proposals WHERE rationale = 'x'",
    );
    expect(rows[0]).toEqual({ n: 0 });
  });
});
