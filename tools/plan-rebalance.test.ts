/**
 * plan_rebalance's inputs for the CLI through the tool gate: a what-if book (holdings) that reads
 * no account, as_of, the cost model, max_position, fractional, detail full, and --data files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPaths } from '../store/market-data/import-paths.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';
import { SAMPLE_DIR } from '../test/helpers/fixtures.js';
import { createToolContext } from './context.js';
import { invokeTool } from './invoke.js';
import { planRebalanceTool } from './plan-rebalance.js';

let db: TestDatabase;
let local: string;
/** A principal with no role on any account. */
let outsider: string;

// biome-ignore lint/suspicious/noExplicitAny: outputs are checked field by field below
type Output = Record<string, any>;

const SUMMARY_KEYS = [
  'account',
  'currency',
  'prices_as_of',
  'cash_before',
  'equity_before',
  'orders',
  'skipped',
  'turnover',
  'cash_after',
  'equity_after',
  'proposed',
];

/** One call through invokeTool; as 'local' unless `as` is given, bars from `files` when given. */
async function plan(
  args: Record<string, unknown>,
  options: { as?: { id: string; handle: string }; files?: string } = {},
) {
  const who = options.as ?? { id: local, handle: 'local' };
  return invokeTool(
    planRebalanceTool,
    args,
    createToolContext({
      principal: { ...who, scopes: ['read'] },
      pool: db.pool,
      orders: {} as never,
      channel: 'mcp',
      ...(options.files === undefined ? {} : { seriesFiles: options.files }),
    }),
  );
}

async function ok(
  args: Record<string, unknown>,
  options: Parameters<typeof plan>[1] = {},
): Promise<Output> {
  const result = await plan(args, options);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.output;
}

/** The raw close of `symbol` on `date` in the database. */
async function closeOn(symbol: string, date: string): Promise<number> {
  const { rows } = await db.pool.query<{ close: string }>(
    'SELECT close FROM daily_bars WHERE symbol = $1 AND date = $2',
    [symbol, date],
  );
  return Number(rows[0]?.close);
}

const book = {
  holdings: {
    cash: 10_000,
    positions: [
      { symbol: 'aapl', quantity: 100 },
      { symbol: 'KO', quantity: 50 },
    ],
  },
  targets: [
    { symbol: 'AAPL', weight: 0.3 },
    { symbol: 'KO', weight: 0.3 },
    { symbol: 'MSFT', weight: 0.3 },
  ],
  as_of: '2021-04-21',
};

beforeAll(async () => {
  db = await createTestDatabase();
  await importPaths(db.pool, [SAMPLE_DIR]);
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = rows[0]?.id as string;
  const added = await db.pool.query<{ id: string }>(
    "INSERT INTO principals (handle) VALUES ('plan_outsider') RETURNING id",
  );
  outsider = added.rows[0]?.id as string;
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe('plan_rebalance with holdings (a what-if)', () => {
  it('plans the given book, says it is a what-if, and names no account', async () => {
    const out = await ok(book);
    expect(out.what_if).toBe(true);
    expect(out).not.toHaveProperty('account');
    expect(out.cash_before).toBe(10_000);
    expect(
      out.orders.map((o: { side: string; symbol: string }) => `${o.side} ${o.symbol}`),
    ).toEqual(['sell AAPL', 'buy KO', 'buy MSFT']);
    expect(out.orders[0].price).toBe(await closeOn('AAPL', '2021-04-21'));
    expect(out.prices_as_of).toBe('2021-04-21');
    expect(out.proposed).toBe(false);
  });

  it('needs no role on any account, and reads none: the account argument is ignored', async () => {
    const outsiderCall = { as: { id: outsider, handle: 'plan_outsider' } };
    const own = await plan({ targets: [{ symbol: 'KO', weight: 0.5 }] }, outsiderCall);
    expect(own).toMatchObject({ ok: false, code: 'forbidden' });
    const whatIf = await ok({ ...book, account: 'paper' }, outsiderCall);
    expect(whatIf.what_if).toBe(true);
    expect(JSON.stringify(whatIf)).not.toContain('paper');
    // An account that does not exist is not looked up either (no not_found, nothing revealed).
    const nowhere = await ok({ ...book, account: 'no_such_account' }, outsiderCall);
    expect(nowhere.cash_before).toBe(10_000);
  });

  it('refuses a symbol held twice', async () => {
    const twice = await plan({
      holdings: {
        cash: 0,
        positions: [
          { symbol: 'KO', quantity: 1 },
          { symbol: 'ko', quantity: 2 },
        ],
      },
      targets: [],
    });
    expect(twice).toMatchObject({ ok: false, code: 'bad_input' });
    expect(!twice.ok && twice.message).toContain('KO is listed twice in holdings.positions');
  });
});

describe('plan_rebalance options', () => {
  it('keeps the summary answer as it was for the account when no new input is given', async () => {
    const out = await ok({ targets: [{ symbol: 'KO', weight: 0.2 }] });
    expect(Object.keys(out)).toEqual(SUMMARY_KEYS);
    expect(out.account).toBe('paper');
    expect(out.orders[0]).not.toHaveProperty('estimated_slippage');
  });

  it('prices at the last close on or before as_of', async () => {
    const out = await ok({ ...book, as_of: '2020-12-31', detail: 'full' });
    expect(out.price_dates).toEqual({ AAPL: '2020-12-31', KO: '2020-12-31', MSFT: '2020-12-31' });
    const msft = out.orders.find((o: { symbol: string }) => o.symbol === 'MSFT');
    expect(msft.price).toBe(await closeOn('MSFT', '2020-12-31'));
  });

  it('estimates commission and slippage from the cost model', async () => {
    const out = await ok({
      ...book,
      commission_bps: 10,
      commission_per_share: 0.01,
      commission_min: 5,
      slippage_bps: 20,
    });
    for (const order of out.orders) {
      const proportional = 0.01 * order.quantity + (10 / 1e4) * order.notional;
      expect(order.estimated_commission).toBeCloseTo(
        Math.ceil(Math.max(5, proportional) * 100 - 1e-6) / 100,
        2,
      );
      expect(order.estimated_slippage).toBeCloseTo(
        Math.ceil((20 / 1e4) * order.notional * 100 - 1e-6) / 100,
        2,
      );
    }
    const costs = out.orders.reduce(
      (sum: number, o: { estimated_commission: number; estimated_slippage: number }) =>
        sum + o.estimated_commission + o.estimated_slippage,
      0,
    );
    expect(out.equity_after).toBeCloseTo(out.equity_before - costs, 1);
  });

  it('caps each target at max_position', async () => {
    const out = await ok({ ...book, max_position: 0.2 });
    for (const order of out.orders) expect(order.target_weight).toBeCloseTo(0.2, 12);
  });

  it('plans fractional shares when asked, whole shares otherwise', async () => {
    const whole = await ok(book);
    for (const order of whole.orders) expect(Number.isInteger(order.quantity)).toBe(true);
    const fractional = await ok({ ...book, fractional: true });
    expect(fractional.orders.some((o: { quantity: number }) => !Number.isInteger(o.quantity))).toBe(
      true,
    );
    const account = await ok({ targets: [{ symbol: 'KO', weight: 0.2 }], fractional: true });
    expect(Number.isInteger(account.orders[0].quantity)).toBe(false);
  });

  it('detail full adds positions after, cash weight, totals, price dates and elapsed_ms', async () => {
    const out = await ok({ ...book, detail: 'full' });
    expect(out.positions.map((p: { symbol: string }) => p.symbol)).toEqual(['AAPL', 'KO', 'MSFT']);
    expect(out.cash_weight).toBeCloseTo(out.cash_after / out.equity_after, 12);
    expect(out.totals.order_count).toBe(out.orders.length);
    expect(out.totals.costs).toBe(0);
    for (const order of out.orders) expect(order.wanted_quantity).toBeGreaterThan(0);
    expect(typeof out.elapsed_ms).toBe('number');
  });
});

describe('plan_rebalance over --data files', () => {
  it('gives the database’s plan from the sample files', async () => {
    const args = { ...book, commission_bps: 5, slippage_bps: 10, detail: 'full' };
    const { elapsed_ms: _a, ...fromFiles } = await ok(args, { files: SAMPLE_DIR });
    const { elapsed_ms: _b, ...fromDatabase } = await ok(args);
    expect(fromFiles).toEqual(fromDatabase);
  });

  it('names a symbol without a file, and refuses a name that is no ticker', async () => {
    const result = await plan(
      { holdings: { cash: 1000, positions: [] }, targets: [{ symbol: 'NOPE', weight: 0.5 }] },
      { files: SAMPLE_DIR },
    );
    expect(result).toMatchObject({ ok: false, code: 'bad_input' });
    expect(!result.ok && result.message).toContain('no file for NOPE');
    const path = await plan(
      { holdings: { cash: 1000, positions: [{ symbol: '../KO', quantity: 1 }] }, targets: [] },
      { files: SAMPLE_DIR },
    );
    expect(path).toMatchObject({ ok: false, code: 'bad_input' });
    expect(!path.ok && path.message).toContain('"../KO" is not a ticker');
  });
});
