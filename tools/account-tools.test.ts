/**
 * The account and trading tools against a real database and a real orders service with a recording
 * broker: proposing never reaches the broker, only a human approval (made here through the service,
 * as a channel adapter would) does; the read tools then show the order, fill and position.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../config/logger.js';
import { testOrders } from '../orders/test-support.js';
import { importPaths } from '../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { cancelOrder } from './cancel-order.js';
import { createAlert } from './create-alert.js';
import { explainTrade } from './explain-trade.js';
import { getPortfolio } from './get-portfolio.js';
import { listOrders } from './list-orders.js';
import { proposeOrder } from './propose-order.js';
import { proposeRebalance } from './propose-rebalance.js';
import type { Tool, ToolContext } from './tool.js';
import { ToolError } from './tool.js';
import { tradeStats } from './trade-stats.js';

const TOOLS: Tool[] = [
  proposeOrder,
  proposeRebalance,
  cancelOrder,
  listOrders,
  getPortfolio,
  explainTrade,
  tradeStats,
  createAlert,
] as unknown as Tool[];

let db: TestDatabase;
let t: ReturnType<typeof testOrders>;
let local: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [
    path.join(SAMPLE_DIR, 'KO.csv.gz'),
    path.join(SAMPLE_DIR, 'AAPL.csv.gz'),
    path.join(SAMPLE_DIR, 'constituents.csv'),
  ]);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = (rows[0] as { id: string }).id;
  t = testOrders(db.pool);
  t.prices.set('KO', '50');
  t.prices.set('AAPL', '130');
});

afterAll(async () => {
  await db?.drop();
});

function context(scopes: ('read' | 'propose')[] = ['read', 'propose']): ToolContext {
  return {
    principal: { id: local, handle: 'local', scopes },
    pool: db.pool,
    orders: t.orders,
    channel: 'mcp',
    proposerKind: 'mcp_client',
    logger: silentLogger(),
    progress: () => {},
    signal: new AbortController().signal,
    now: () => new Date(),
  };
}

/** Runs a tool as a transport would: parse the input, call, parse the output. */
async function call<I extends z.ZodObject, O extends z.ZodObject>(
  tool: Tool<I, O>,
  raw: unknown,
  ctx = context(),
): Promise<z.infer<O>> {
  const input = tool.input.parse(raw);
  return tool.output.parse(await tool.handler(input, ctx)) as z.infer<O>;
}

const toolError = async (promise: Promise<unknown>): Promise<ToolError> => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToolError);
  return error as ToolError;
};

describe('tool definitions', () => {
  it('every field is described, write flags match annotations, and nothing can approve', () => {
    const names = new Set<string>();
    for (const tool of TOOLS) {
      expect(names.has(tool.name)).toBe(false);
      names.add(tool.name);
      expect(tool.description.length).toBeGreaterThan(80);
      expect(tool.annotations.readOnlyHint).toBe(!tool.writes);
      expect(tool.annotations.destructiveHint).toBe(false);
      const fields = (schema: z.ZodObject): [string, z.ZodType][] =>
        Object.entries(schema.shape) as [string, z.ZodType][];
      for (const [name, field] of fields(tool.input)) {
        expect(field.description, `${tool.name}.${name}`).toBeTruthy();
        expect(name).not.toMatch(/approv|confirm|consent|authori[sz]e/i);
        expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
      }
      for (const [name, field] of fields(tool.output))
        expect(field.description, `${tool.name} output ${name}`).toBeTruthy();
      // The input JSON schema as a client sees it: no approve-like property anywhere, nested included.
      const json = JSON.stringify(z.toJSONSchema(tool.input, { io: 'input' }));
      expect(json).toContain('"properties"');
      expect(json).not.toMatch(/"(approve|approved|approval|confirm|confirmed)[a-z_]*"\s*:/i);
    }
    expect([...names].sort()).toEqual([
      'cancel_order',
      'create_alert',
      'explain_trade',
      'get_portfolio',
      'list_orders',
      'propose_order',
      'propose_rebalance',
      'trade_stats',
    ]);
    expect(TOOLS.filter((tool) => tool.writes).map((tool) => tool.name)).toEqual([
      'propose_order',
      'propose_rebalance',
      'cancel_order',
      'create_alert',
    ]);
  });
});

describe('proposing', () => {
  it('propose_order creates a pending proposal and the broker receives nothing', async () => {
    const out = await call(proposeOrder, {
      symbol: 'ko',
      side: 'buy',
      quantity: 10,
      rationale: 'dividend income',
    });
    expect(out.status).toBe('pending');
    expect(out.account).toBe('paper');
    expect(out.kind).toBe('order');
    expect(out.order_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(out.legs).toEqual([
      expect.objectContaining({
        leg: 1,
        symbol: 'KO',
        side: 'buy',
        quantity: '10',
        type: 'market',
        time_in_force: 'day',
        reference_price: '50',
      }),
    ]);
    expect(out.risk_passed).toBe(true);
    expect(out.failed_checks).toEqual([]);
    expect(out.approve_at).toContain(`countersign approve ${out.id}`);
    expect(out.approve_at).toContain(`/api/proposals/${out.id}/approve`);
    expect(out.note).toMatch(/NOT placed until a human approves/);
    expect(t.broker.received).toEqual([]);
    const { rows } = await db.pool.query(
      'SELECT status, proposer_kind, channel, proposed_by FROM proposals WHERE id = $1',
      [out.id],
    );
    expect(rows[0]).toEqual({
      status: 'pending',
      proposer_kind: 'mcp_client',
      channel: 'mcp',
      proposed_by: local,
    });
    const { rows: orders } = await db.pool.query('SELECT 1 FROM orders');
    expect(orders).toEqual([]);
  });

  it('propose_rebalance makes one basket proposal and sends nothing', async () => {
    const out = await call(proposeRebalance, {
      orders: [
        { symbol: 'KO', side: 'buy', quantity: 5 },
        { symbol: 'AAPL', side: 'buy', quantity: 2 },
      ],
      rationale: 'rebalance to target weights',
    });
    expect(out.status).toBe('pending');
    expect(out.kind).toBe('basket');
    expect(out.legs.map((leg) => leg.symbol)).toEqual(['KO', 'AAPL']);
    expect(t.broker.received).toEqual([]);
    expect(() => proposeRebalance.input.parse({ orders: [], rationale: 'x' })).toThrow();
  });

  it('a caller with only the read scope is refused, naming the scope, and nothing is written', async () => {
    const before = await db.pool.query('SELECT count(*)::int AS n FROM proposals');
    const error = await toolError(
      call(
        proposeOrder,
        { symbol: 'KO', side: 'buy', quantity: 1, rationale: 'x' },
        context(['read']),
      ),
    );
    expect(error.code).toBe('forbidden');
    expect(error.message).toContain("'propose' scope");
    for (const [tool, input] of [
      [proposeRebalance, { orders: [{ symbol: 'KO', side: 'buy', quantity: 1 }], rationale: 'x' }],
      [cancelOrder, { order_id: '00000000-0000-0000-0000-000000000000', rationale: 'x' }],
      [createAlert, { symbol: 'KO', condition: 'price_above', value: 60, channel: 'web' }],
    ] as const)
      expect((await toolError(call(tool as Tool, input, context(['read'])))).code).toBe(
        'forbidden',
      );
    const after = await db.pool.query('SELECT count(*)::int AS n FROM proposals');
    expect(after.rows).toEqual(before.rows);
  });

  it('bad inputs are refused with messages a model can act on', async () => {
    // The schema refuses quantity 0 before the handler runs…
    const parsed = proposeOrder.input.safeParse({
      symbol: 'KO',
      side: 'buy',
      quantity: 0,
      rationale: 'x',
    });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('quantity');
    // …and the service refuses it too when a caller skips the schema.
    const ctx = context();
    const base = {
      account: 'paper',
      side: 'buy' as const,
      type: 'market' as const,
      time_in_force: 'day' as const,
      rationale: 'x',
    };
    const zero = await toolError(proposeOrder.handler({ ...base, symbol: 'KO', quantity: 0 }, ctx));
    expect(zero.code).toBe('bad_input');
    expect(zero.message).toMatch(/quantity .*> 0/);
    const unknown = await toolError(
      call(proposeOrder, { symbol: 'NOPE', side: 'buy', quantity: 1, rationale: 'x' }),
    );
    expect(unknown.code).toBe('bad_input');
    expect(unknown.message).toContain('unknown symbol "NOPE"');
    const limit = await toolError(
      call(proposeOrder, { symbol: 'KO', side: 'buy', quantity: 1, type: 'limit', rationale: 'x' }),
    );
    expect(limit.message).toContain('a limit order needs limit_price');
    const account = await toolError(
      call(proposeOrder, {
        account: 'nope',
        symbol: 'KO',
        side: 'buy',
        quantity: 1,
        rationale: 'x',
      }),
    );
    expect(account.message).toContain('unknown account "nope"; the accounts are paper');
    const cancel = await toolError(call(cancelOrder, { order_id: 'not-an-id', rationale: 'x' }));
    expect(cancel.code).toBe('not_found');
    expect(() =>
      proposeOrder.input.parse({ symbol: 'KO', side: 'buy', quantity: 1, rationale: '' }),
    ).toThrow();
    expect(t.broker.received).toEqual([]);
  });
});

describe('after a human approves', () => {
  it('list_orders, explain_trade, get_portfolio and trade_stats show the order, fill and position', async () => {
    const proposed = await call(proposeOrder, {
      symbol: 'KO',
      side: 'buy',
      quantity: 20,
      rationale: 'core holding',
      strategy: 'core',
    });
    const pending = await call(listOrders, { status: 'pending' });
    expect(pending.rows.map((row) => row.proposal_id)).toContain(proposed.id);
    expect(pending.rows.find((row) => row.proposal_id === proposed.id)?.order_id).toBeNull();

    // The human decision, as the CLI adapter hands it to the service (no tool can do this).
    const outcome = await t.orders.approve({
      proposalId: proposed.id,
      principalId: local,
      channel: 'cli',
      orderHash: proposed.order_hash,
      evidence: { kind: 'cli', osUser: 'local' },
    });
    expect(outcome.status).toBe('submitted');
    expect(t.broker.received).toHaveLength(1);
    expect(t.broker.received[0]).toMatchObject({ symbol: 'KO', side: 'buy', quantity: '20' });
    const order = (outcome.status === 'submitted' ? outcome.orders[0] : undefined) as {
      id: string;
    };

    // What the paper broker's ledger records for that fill (the recording broker keeps no ledger).
    const { rows: fill } = await db.pool.query<{ id: string }>(
      `INSERT INTO fills (order_id, account_id, symbol, side, quantity, price, commission, filled_at)
       VALUES ($1, 'paper', 'KO', 'buy', 20, 50, 1, '2021-04-20T15:00:00Z') RETURNING id`,
      [order.id],
    );
    await db.pool.query(
      `INSERT INTO cash_ledger (account_id, amount, currency, kind, fill_id, note)
       VALUES ('paper', -1000, 'USD', 'trade', $1, 'buy 20 KO @ 50'),
              ('paper', -1, 'USD', 'commission', $1, 'commission')`,
      [(fill[0] as { id: string }).id],
    );
    await db.pool.query(
      `INSERT INTO positions (account_id, symbol, quantity, avg_cost, realized_pnl, opened_at)
       VALUES ('paper', 'KO', 20, 50, 0, '2021-04-20T15:00:00Z')`,
    );

    const listed = await call(listOrders, { status: 'submitted' });
    const row = listed.rows.find((r) => r.proposal_id === proposed.id);
    expect(row).toMatchObject({
      proposal_status: 'submitted',
      symbol: 'KO',
      quantity: '20',
      order_id: order.id,
      order_status: 'filled',
    });

    for (const byId of [{ proposal_id: proposed.id }, { order_id: order.id }]) {
      const explained = await call(explainTrade, byId);
      expect(explained.proposal_id).toBe(proposed.id);
      expect(explained.status).toBe('submitted');
      expect(explained.rationale).toBe('core holding');
      expect(explained.proposer_kind).toBe('mcp_client');
      expect(explained.risk_checks.length).toBeGreaterThan(0);
      expect(explained.risk_checks.every((check) => check.passed)).toBe(true);
      expect(explained.approvals).toEqual([
        expect.objectContaining({ handle: 'local', decision: 'approve', channel: 'cli' }),
      ]);
      expect(explained.orders).toEqual([
        expect.objectContaining({ order_id: order.id, status: 'filled' }),
      ]);
      expect(explained.fills).toEqual([
        expect.objectContaining({ order_id: order.id, quantity: '20', price: '50' }),
      ]);
    }
    expect((await toolError(call(explainTrade, {}))).code).toBe('bad_input');
    expect(
      (await toolError(call(explainTrade, { proposal_id: '00000000-0000-0000-0000-000000000000' })))
        .code,
    ).toBe('not_found');

    const portfolio = await call(getPortfolio, {});
    expect(portfolio.currency).toBe('USD');
    expect(portfolio.cash).toBe(98_999);
    expect(portfolio.positions).toHaveLength(1);
    const ko = portfolio.positions[0];
    const { rows: close } = await db.pool.query<{ close: string; date: string }>(
      "SELECT close::text, date::text FROM daily_bars WHERE symbol = 'KO' ORDER BY date DESC LIMIT 1",
    );
    const last = Number(close[0]?.close);
    expect(ko).toMatchObject({ symbol: 'KO', quantity: 20, avg_cost: 50, last_price: last });
    expect(ko?.market_value).toBeCloseTo(20 * last, 2);
    expect(ko?.unrealized_pnl).toBeCloseTo(20 * (last - 50), 2);
    expect(portfolio.equity).toBeCloseTo(98_999 + 20 * last, 2);
    expect(ko?.weight).toBeCloseTo((20 * last) / portfolio.equity, 5);
    expect(portfolio.as_of).toBe(close[0]?.date);

    // Only a buy so far: nothing closed, the position is open.
    const opened = await call(tradeStats, { group_by: 'symbol' });
    expect(opened).toMatchObject({ fills: 1, trades: 0, win_rate: null, groups: [] });
    expect(opened.open_positions).toEqual([{ symbol: 'KO', quantity: 20 }]);
    // The broker reports the position sold two days later (Thursday), 1 USD commission.
    await db.pool.query(
      `INSERT INTO fills (order_id, account_id, symbol, side, quantity, price, commission, filled_at)
       VALUES ($1, 'paper', 'KO', 'sell', 20, 55, 1, '2021-04-22T15:00:00Z')`,
      [order.id],
    );
    const bySymbol = await call(tradeStats, { group_by: 'symbol' });
    expect(bySymbol).toMatchObject({
      fills: 2,
      trades: 1,
      win_rate: 1,
      pnl: 98,
      open_positions: [],
    });
    expect(bySymbol.groups).toEqual([
      {
        key: 'KO',
        trades: 1,
        wins: 1,
        losses: 0,
        win_rate: 1,
        pnl: 98, // (55 − 50) × 20 − 1 − 1
        average_pnl: 98,
        best_pnl: 98,
        worst_pnl: 98,
        average_holding_days: 2,
      },
    ]);
    const byStrategy = await call(tradeStats, { group_by: 'strategy' });
    expect(byStrategy.groups.map((g) => [g.key, g.trades])).toEqual([['core', 1]]);
    const byWeekday = await call(tradeStats, { group_by: 'weekday' });
    expect(byWeekday.groups.map((g) => g.key)).toEqual(['4 Thursday']);
    const byMonth = await call(tradeStats, {
      group_by: 'month',
      start: '2021-04-01',
      end: '2021-04-30',
    });
    expect(byMonth.groups.map((g) => g.key)).toEqual(['2021-04']);
    const outside = await call(tradeStats, { start: '2022-01-01' });
    expect(outside.trades).toBe(0);
    const beforeExit = await call(tradeStats, { end: '2021-04-21' });
    expect(beforeExit).toMatchObject({ fills: 1, trades: 0 });

    // A cancel is itself a proposal: the order is filled here, so the service refuses it.
    const cancel = await toolError(
      call(cancelOrder, { order_id: order.id, rationale: 'changed my mind' }),
    );
    expect(cancel.code).toBe('bad_input');
    expect(cancel.message).toContain('only a working order');
  });

  it('cancel_order proposes a cancel of a working order and sends nothing', async () => {
    // A limit far from the last price fails a risk check: the output says which, before any approval.
    const far = await call(proposeOrder, {
      symbol: 'AAPL',
      side: 'buy',
      quantity: 1,
      type: 'limit',
      limit_price: 120,
      rationale: 'buy the dip',
    });
    expect(far.status).toBe('pending');
    expect(far.risk_passed).toBe(false);
    expect(far.failed_checks).toEqual([expect.stringContaining('the band is ±5 %')]);
    t.broker.mode = 'accept';
    const proposed = await call(proposeOrder, {
      symbol: 'AAPL',
      side: 'buy',
      quantity: 1,
      type: 'limit',
      limit_price: 128,
      rationale: 'buy the dip',
    });
    const outcome = await t.orders.approve({
      proposalId: proposed.id,
      principalId: local,
      channel: 'cli',
      orderHash: proposed.order_hash,
      evidence: { kind: 'cli', osUser: 'local' },
    });
    t.broker.mode = 'fill';
    const order = (outcome.status === 'submitted' ? outcome.orders[0] : undefined) as {
      id: string;
    };
    const sent = t.broker.received.length;
    const out = await call(cancelOrder, { order_id: order.id, rationale: 'no longer wanted' });
    expect(out).toMatchObject({
      kind: 'cancel',
      status: 'pending',
      cancel_order_id: order.id,
      legs: [],
    });
    expect(out.note).toMatch(/NOT sent until a human approves/);
    expect(t.broker.received).toHaveLength(sent);
    const { rows } = await db.pool.query('SELECT status FROM orders WHERE id = $1', [order.id]);
    expect(rows[0]).toEqual({ status: 'submitted' });
  });
});

describe('create_alert', () => {
  it('stores a notify rule for the caller and trades nothing', async () => {
    const proposals = await db.pool.query('SELECT count(*)::int AS n FROM proposals');
    const out = await call(createAlert, {
      symbol: 'ko',
      condition: 'price_below',
      value: 45.5,
      channel: 'telegram',
    });
    expect(out).toMatchObject({ status: 'active', symbol: 'KO', action: 'notify' });
    expect(out.note).toMatch(/does not trade/);
    const { rows } = await db.pool.query(
      'SELECT principal_id, symbol, condition, action, channel FROM alerts WHERE id = $1',
      [out.id],
    );
    expect(rows[0]).toEqual({
      principal_id: local,
      symbol: 'KO',
      condition: { kind: 'price_below', value: '45.5', account: 'paper' },
      action: 'notify',
      channel: 'telegram',
    });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM proposals')).rows).toEqual(
      proposals.rows,
    );
    const bad = await toolError(
      call(createAlert, { symbol: 'NOPE', condition: 'price_above', value: 1, channel: 'web' }),
    );
    expect(bad.message).toContain('unknown symbol');
    const noTargets = await toolError(call(createAlert, { condition: 'drift_above', value: 0.05 }));
    expect(noTargets.message).toMatch(/drift_above needs targets/);
    const badDrift = await toolError(
      call(createAlert, {
        condition: 'drift_above',
        value: 2,
        targets: [{ symbol: 'KO', weight: 0.5 }],
      }),
    );
    expect(badDrift.message).toMatch(/between 0 and 1 exclusive .*got 2/);
    const badHour = await toolError(call(createAlert, { condition: 'daily_summary', value: 25 }));
    expect(badHour.message).toMatch(/0 to 23; got 25/);
    const drift = await call(createAlert, {
      condition: 'drift_above',
      value: 0.05,
      targets: [{ symbol: 'ko', weight: 0.5 }],
    });
    expect(drift).toMatchObject({ action: 'propose', value: 0.05, symbol: null });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM proposals')).rows).toEqual(
      proposals.rows,
    );
  });
});
