/** Stored backtests against a real database: a round trip, the curve's downsampling bounds, all trades kept, bad ids. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trade } from '../../core/engine/trade.js';
import { ENGINE_VERSION } from '../../core/engine/version.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import {
  BacktestIdError,
  downsampleCurve,
  getBacktest,
  MAX_CURVE_POINTS,
  type NewBacktest,
  saveBacktest,
} from './backtests-repo.js';

let db: TestDatabase;
let local: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const { rows } = await db.pool.query<{ id: string }>(
    "SELECT id FROM principals WHERE handle = 'local'",
  );
  local = rows[0]?.id as string;
});

afterAll(async () => {
  await db?.drop();
});

/** `n` consecutive calendar days from 2020-01-01 (weekends included: only the order matters here). */
const days = (n: number): string[] =>
  Array.from({ length: n }, (_, i) =>
    new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
  );

const trade = (k: number): Trade => ({
  symbol: k % 2 === 0 ? 'AAPL' : 'KO',
  direction: 'long',
  entryDate: days(200)[k] as string,
  entryPrice: 100 + k,
  exitDate: days(200)[k + 3] as string,
  exitPrice: 101 + k,
  quantity: 10,
  pnl: 10,
  returnPct: 0.01,
  bars: 3,
  exitReason: 'signal',
});

const run = (points: number, trades: number): NewBacktest => {
  const dates = days(points);
  return {
    createdBy: local,
    strategy: 'sma_cross',
    params: { fast: 20, slow: 100 },
    symbols: ['AAPL', 'KO'],
    startDate: dates[0] as string,
    endDate: dates.at(-1) as string,
    settings: {
      cash: 100_000,
      commission_bps: 5,
      slippage_bps: 2,
      fill: 'next_open',
      price_mode: 'raw',
    },
    metrics: {
      final_equity: 123_456.78,
      sharpe: 1.2,
      cagr: null,
      max_drawdown_peak_date: dates[1] as string,
    },
    curve: { dates, equity: Float64Array.from(dates, (_, i) => 100_000 + i * 1.005) },
    trades: Array.from({ length: trades }, (_, k) => trade(k)),
  };
};

describe('downsampleCurve', () => {
  it('keeps a curve of at most 500 points whole, rounded to cents', () => {
    for (const n of [1, 2, 499, MAX_CURVE_POINTS]) {
      const dates = days(n);
      const points = downsampleCurve(
        dates,
        Float64Array.from(dates, (_, i) => i + 0.123),
      );
      expect(points).toHaveLength(n);
      expect(points.map((p) => p.date)).toEqual(dates);
      expect(points[0]?.equity).toBe(0.12);
    }
    expect(downsampleCurve([], [])).toEqual([]);
  });

  it('thins a longer curve to exactly 500 evenly spaced points, first and last kept, in order', () => {
    for (const n of [MAX_CURVE_POINTS + 1, 1000, 5003, 20_000]) {
      const dates = days(n);
      const equity = Float64Array.from(dates, (_, i) => i);
      const points = downsampleCurve(dates, equity);
      expect(points).toHaveLength(MAX_CURVE_POINTS);
      expect(points[0]).toEqual({ date: dates[0], equity: 0 });
      expect(points.at(-1)).toEqual({ date: dates.at(-1), equity: n - 1 });
      const indices = points.map((p) => p.equity);
      const gaps = indices.slice(1).map((index, k) => index - (indices[k] as number));
      // Strictly increasing, and evenly spaced to within one bar.
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
    }
    expect(
      downsampleCurve(
        days(10),
        Float64Array.from({ length: 10 }, (_, i) => i),
        3,
      ),
    ).toEqual([
      { date: days(10)[0], equity: 0 },
      { date: days(10)[5], equity: 5 },
      { date: days(10)[9], equity: 9 },
    ]);
  });

  it('refuses a curve whose dates and values differ in length, and a max below 2', () => {
    expect(() => downsampleCurve(days(3), [1, 2])).toThrow(/3 dates but 2 equity values/);
    expect(() => downsampleCurve(days(3), [1, 2, 3], 1)).toThrow(/max must be a whole number ≥ 2/);
  });
});

describe('saveBacktest and getBacktest', () => {
  it('round-trips a finished run with every trade and the curve downsampled', async () => {
    const input = run(3000, 150);
    const id = await saveBacktest(db.pool, input);
    const stored = await getBacktest(db.pool, id);
    expect(stored).toMatchObject({
      id,
      createdBy: local,
      strategy: 'sma_cross',
      params: { fast: 20, slow: 100 },
      symbols: ['AAPL', 'KO'],
      startDate: '2020-01-01',
      endDate: input.endDate,
      settings: input.settings,
      engineVersion: ENGINE_VERSION,
      status: 'done',
      metrics: input.metrics,
      error: null,
    });
    expect(stored?.createdAt).toBeInstanceOf(Date);
    expect(stored?.finishedAt).toBeInstanceOf(Date);
    const curve = stored?.equityCurve ?? [];
    expect(curve).toHaveLength(MAX_CURVE_POINTS);
    expect(curve[0]).toEqual({ date: '2020-01-01', equity: 100_000 });
    expect(curve.at(-1)).toEqual({
      date: input.endDate,
      equity: Math.round((100_000 + 2999 * 1.005) * 100) / 100,
    });
    expect(stored?.trades).toHaveLength(150);
    expect(stored?.trades?.[7]).toEqual({
      symbol: 'KO',
      direction: 'long',
      entry_date: days(200)[7],
      entry_price: 107,
      exit_date: days(200)[10],
      exit_price: 108,
      quantity: 10,
      pnl: 10,
      return_pct: 0.01,
      bars: 3,
      exit_reason: 'signal',
    });
  });

  it('stores a short curve whole, no trades, and a run by nobody', async () => {
    const id = await saveBacktest(db.pool, { ...run(40, 0), createdBy: null });
    const stored = await getBacktest(db.pool, id.toUpperCase());
    expect(stored?.id).toBe(id);
    expect(stored?.createdBy).toBeNull();
    expect(stored?.equityCurve).toHaveLength(40);
    expect(stored?.trades).toEqual([]);
  });

  it('answers undefined for an unknown id and refuses a malformed one before PostgreSQL', async () => {
    expect(await getBacktest(db.pool, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
    for (const bad of [
      'nope',
      '',
      "1'; DROP TABLE backtests; --",
      '0000000-0000-4000-8000-000000000000',
    ]) {
      const error = await getBacktest(db.pool, bad).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(BacktestIdError);
      expect((error as Error).message).toContain(JSON.stringify(bad));
      expect((error as Error).message).toMatch(/is not a uuid/);
    }
  });
});
