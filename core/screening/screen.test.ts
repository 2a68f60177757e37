/** screenStocks on small hand-made universes: z-score and clip maths, filters, missing factors, ties, the model_score slot, refusals. */
import { describe, expect, it } from 'vitest';
import type { PriceSeries } from '../series/price-series.js';
import { FACTOR_NAMES, type FactorName } from './factors.js';
import { DEFAULT_WEIGHTS, ScreenRequestError } from './request.js';
import { type ScreenRow, type ScreenUniverse, screenStocks } from './screen.js';

const DAY = 86_400_000;

/** One bar per calendar day from `start`; open = high = low = close unless given; adjClose = close × adjust. */
function bars(
  symbol: string,
  closes: number[],
  options: { start?: string; volume?: number[]; adjust?: number } = {},
): PriceSeries {
  const start = Date.parse(`${options.start ?? '2020-01-01'}T00:00:00Z`);
  const close = Float64Array.from(closes);
  return {
    symbol,
    dates: closes.map((_, i) => new Date(start + i * DAY).toISOString().slice(0, 10)),
    open: close.slice(),
    high: close.slice(),
    low: close.slice(),
    close,
    adjClose: close.map((c) => c * (options.adjust ?? 1)),
    volume: Float64Array.from(options.volume ?? closes.map(() => 1000)),
    scale: 100,
  };
}

/** 22 bars at 100, then a last close that is a move of r over the last 21 bars. */
function lastMonth(symbol: string, r: number): PriceSeries {
  return bars(symbol, [...Array<number>(21).fill(100), 100 * (1 + r)]);
}

/** The date of bar i of a `bars` series that starts on 2020-01-01. */
function day(i: number): string {
  return new Date(Date.parse('2020-01-01T00:00:00Z') + i * DAY).toISOString().slice(0, 10);
}

/** Weights with every factor at 0 except the given ones. */
function only(weights: Partial<Record<FactorName, number>>): Record<FactorName, number> {
  const all = Object.fromEntries(FACTOR_NAMES.map((name) => [name, 0])) as Record<
    FactorName,
    number
  >;
  return { ...all, ...weights };
}

function universe(series: PriceSeries[], sectors: Record<string, string> = {}): ScreenUniverse {
  return { series, sectors };
}

const symbols = (rows: ScreenRow[]) => rows.map((row) => row.symbol);

describe('scores', () => {
  it('z-scores a factor over the symbols and sums weight × z', () => {
    // reversal_1m raw values −0.1, 0, 0.1, 0.2: mean 0.05, population std √0.0125.
    const u = universe([
      lastMonth('A', 0.1),
      lastMonth('B', 0),
      lastMonth('C', -0.1),
      lastMonth('D', -0.2),
    ]);
    const result = screenStocks(u, { asOf: day(21), weights: only({ reversal_1m: 2 }) });
    const std = Math.sqrt(0.0125);
    expect(result.factorStats.reversal_1m?.mean).toBeCloseTo(0.05, 15);
    expect(result.factorStats.reversal_1m?.std).toBeCloseTo(std, 15);
    expect(symbols(result.rows)).toEqual(['D', 'C', 'B', 'A']);
    const expectedZ = [0.15, 0.05, -0.05, -0.15].map((d) => d / std);
    result.rows.forEach((row, i) => {
      expect(row.factors.reversal_1m).toBeCloseTo(-0.1 + 0.1 * (3 - i), 15);
      expect(row.zScores.reversal_1m).toBeCloseTo(expectedZ[i] as number, 12);
      expect(row.contributions).toEqual({ reversal_1m: 2 * (row.zScores.reversal_1m as number) });
      expect(row.score).toBe(row.contributions.reversal_1m);
    });
  });

  it('clips z-scores at ±winsorize', () => {
    // Nine flat symbols and one that fell 27 %: reversal raw 0.27 vs 0, z = 3 and −1/3.
    const series = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I'].map((s) => lastMonth(s, 0));
    series.push(lastMonth('Z', -0.27));
    const request = { asOf: day(21), weights: only({ reversal_1m: 0.5 }) };
    const clipped = screenStocks(universe(series), { ...request, winsorize: 2 });
    expect(clipped.winsorize).toBe(2);
    expect(clipped.rows[0]?.symbol).toBe('Z');
    expect(clipped.rows[0]?.zScores.reversal_1m).toBe(2);
    expect(clipped.rows[0]?.score).toBe(1);
    expect(clipped.rows[1]?.zScores.reversal_1m).toBeCloseTo(-1 / 3, 12);
    const wide = screenStocks(universe(series), request);
    expect(wide.winsorize).toBe(3);
    expect(wide.rows[0]?.zScores.reversal_1m).toBeCloseTo(3, 12);
  });

  it('orients volatility and rsi so that lower raw values score higher', () => {
    const wiggle = (symbol: string, size: number, drift: number) =>
      bars(
        symbol,
        Array.from({ length: 80 }, (_, i) => 100 * (1 + drift * i) * (1 + (i % 2 ? size : -size))),
      );
    const u = universe([wiggle('CALM', 0.001, 0), wiggle('MID', 0.01, 0), wiggle('WILD', 0.05, 0)]);
    const byVolatility = screenStocks(u, { asOf: day(79), weights: only({ volatility: 1 }) });
    expect(symbols(byVolatility.rows)).toEqual(['CALM', 'MID', 'WILD']);
    const [calm, , wild] = byVolatility.rows as [ScreenRow, ScreenRow, ScreenRow];
    expect(calm.factors.volatility as number).toBeLessThan(wild.factors.volatility as number);
    expect(calm.zScores.volatility as number).toBeGreaterThan(0);

    const trending = universe([wiggle('UP', 0.001, 0.01), wiggle('DOWN', 0.001, -0.005)]);
    const byRsi = screenStocks(trending, { asOf: day(79), weights: only({ rsi: 1 }) });
    expect(symbols(byRsi.rows)).toEqual(['DOWN', 'UP']);
    expect(byRsi.rows[0]?.factors.rsi as number).toBeLessThan(byRsi.rows[1]?.factors.rsi as number);
  });

  it('takes given weights as the whole blend (left-out factors weigh 0) and reports them', () => {
    const result = screenStocks(universe([lastMonth('A', 0.1), lastMonth('B', 0)]), {
      asOf: day(21),
      weights: { rsi: 1, volatility: 0.5 },
    });
    const zero = Object.fromEntries(Object.keys(DEFAULT_WEIGHTS).map((name) => [name, 0]));
    expect(result.weights).toEqual({ ...zero, rsi: 1, volatility: 0.5 });
    // Contributions list exactly the factors with a non-zero weight.
    expect(Object.keys(result.rows[0]?.contributions ?? {})).toEqual(['volatility', 'rsi']);
  });

  it('counts a missing factor as 0 and lists it; z-scores use only the symbols that have it', () => {
    const long = (symbol: string, size: number) =>
      bars(
        symbol,
        Array.from({ length: 70 }, (_, i) => 100 * (1 + (i % 2 ? size : -size))),
      );
    const short = bars('SHORT', [...Array<number>(29).fill(50), 40], { start: day(40) });
    const u = universe([long('A', 0.01), long('B', 0.02), short]);
    const result = screenStocks(u, {
      asOf: day(69),
      weights: only({ volatility: 1, reversal_1m: 1 }),
    });
    expect(result.factorStats.volatility?.count).toBe(2);
    expect(result.factorStats.reversal_1m?.count).toBe(3);
    const row = result.rows.find((r) => r.symbol === 'SHORT') as ScreenRow;
    expect(row.missing).toEqual([
      'momentum_12_1',
      'volatility',
      'distance_52w_high',
      'drawdown',
      'trend_strength',
    ]);
    expect(row.contributions.volatility).toBe(0);
    expect(row.zScores.volatility).toBeUndefined();
    expect(row.factors.volatility).toBeUndefined();
    expect(row.score).toBe(row.contributions.reversal_1m);
    // A and B have ±1 on volatility (two values: z = ±1 exactly).
    expect(result.rows.find((r) => r.symbol === 'A')?.zScores.volatility).toBeCloseTo(1, 12);
  });

  it('excludes a symbol that has none of the weighted factors', () => {
    const u = universe([
      lastMonth('A', 0.1),
      lastMonth('B', 0),
      bars('NEW', [10, 11, 12], { start: day(19) }),
    ]);
    const result = screenStocks(u, { asOf: day(21), weights: only({ reversal_1m: 1 }) });
    expect(result.passed).toBe(2);
    expect(result.excluded).toEqual({ no_factors: 1 });
    expect(result.exclusions).toEqual([
      {
        symbol: 'NEW',
        reason: 'no_factors',
        detail: `has 3 bars on or before ${day(21)}: too few for any of reversal_1m`,
      },
    ]);
  });
});

describe('ordering', () => {
  it('breaks ties by symbol, whatever the input order, and returns the top rows', () => {
    const series = [lastMonth('B', 0), lastMonth('A', 0), lastMonth('D', -0.1), lastMonth('C', 0)];
    const request = { asOf: day(21), weights: only({ reversal_1m: 1 }) };
    const result = screenStocks(universe(series), request);
    expect(symbols(result.rows)).toEqual(['D', 'A', 'B', 'C']);
    expect(result.rows.map((row) => row.rank)).toEqual([1, 2, 3, 4]);
    expect(result.rows[1]?.score).toBe(result.rows[2]?.score);
    expect(screenStocks(universe([...series].reverse()), request)).toEqual(result);
    const top2 = screenStocks(universe(series), { ...request, top: 2 });
    expect(symbols(top2.rows)).toEqual(['D', 'A']);
    expect(top2.passed).toBe(4);
  });

  it('returns 20 rows by default', () => {
    const series = Array.from({ length: 25 }, (_, i) =>
      lastMonth(`S${String(i).padStart(2, '0')}`, i / 100),
    );
    const result = screenStocks(universe(series), {
      asOf: day(21),
      weights: only({ reversal_1m: 1 }),
    });
    expect(result.rows).toHaveLength(20);
    expect(result.rows[0]?.symbol).toBe('S00');
  });
});

describe('filters', () => {
  it('applies minPrice to the raw close and minDollarVolume to 20-bar raw close × volume', () => {
    // CHEAP trades at 4 (adjusted 8: a price filter must read the traded price, not the adjusted).
    const cheap = bars('CHEAP', Array<number>(30).fill(4), { adjust: 2 });
    // THIN: huge volume 21+ bars ago does not count; the last 20 bars trade 10 × 1000 a day.
    const thin = bars('THIN', Array<number>(30).fill(10), {
      volume: [...Array<number>(10).fill(1e9), ...Array<number>(20).fill(1000)],
    });
    const thick = bars('THICK', Array<number>(30).fill(10), {
      volume: Array<number>(30).fill(2500),
    });
    const u = universe([cheap, thin, thick]);
    const result = screenStocks(u, {
      asOf: day(29),
      weights: only({ reversal_1m: 1 }),
      filters: { minPrice: 5, minDollarVolume: 20_000 },
    });
    expect(symbols(result.rows)).toEqual(['THICK']);
    expect(result.rows[0]).toMatchObject({ price: 10, dollarVolume: 25_000, date: day(29) });
    expect(result.excluded).toEqual({ min_price: 1, min_dollar_volume: 1 });
    expect(result.exclusions).toEqual([
      { symbol: 'CHEAP', reason: 'min_price', detail: `price 4 on ${day(29)} is below minPrice 5` },
      {
        symbol: 'THIN',
        reason: 'min_dollar_volume',
        detail: 'average dollar volume 10000 is below minDollarVolume 20000',
      },
    ]);
  });

  it('filters sectors without regard to case, leaving out symbols with no sector', () => {
    const u = universe(
      [lastMonth('BANK', 0), lastMonth('CHIP', 0), lastMonth('NONE', 0), lastMonth('OIL', 0)],
      { BANK: 'Financials', CHIP: 'Information Technology', OIL: 'Energy' },
    );
    const result = screenStocks(u, {
      asOf: day(21),
      weights: only({ reversal_1m: 1 }),
      filters: { sectors: ['financials', 'ENERGY'] },
    });
    expect(symbols(result.rows)).toEqual(['BANK', 'OIL']);
    expect(result.rows.map((row) => row.sector)).toEqual(['Financials', 'Energy']);
    expect(result.excluded).toEqual({ sector: 2 });
    expect(result.exclusions.map((e) => [e.symbol, e.detail])).toEqual([
      ['CHIP', 'sector Information Technology is not among financials, ENERGY'],
      ['NONE', 'sector (unknown) is not among financials, ENERGY'],
    ]);
    const all = screenStocks(u, { asOf: day(21), weights: only({ reversal_1m: 1 }) });
    expect(all.rows.find((row) => row.symbol === 'NONE')?.sector).toBeNull();
  });

  it('keeps closes above (true) or at/below (false) their 200-bar SMA, and needs 200 bars', () => {
    const rising = bars(
      'UP',
      Array.from({ length: 220 }, (_, i) => 100 + i),
    );
    const falling = bars(
      'DOWN',
      Array.from({ length: 220 }, (_, i) => 400 - i),
    );
    const young = bars(
      'YOUNG',
      Array.from({ length: 150 }, (_, i) => 100 + i),
      { start: day(70) },
    );
    const u = universe([rising, falling, young]);
    const request = { asOf: day(219), weights: only({ reversal_1m: 1 }) };
    const above = screenStocks(u, { ...request, filters: { aboveSma200: true } });
    expect(symbols(above.rows)).toEqual(['UP']);
    expect(above.excluded).toEqual({ sma200: 2 });
    expect(above.exclusions).toEqual([
      {
        symbol: 'DOWN',
        reason: 'sma200',
        detail: 'adjusted close 181 is not above its SMA 200 280.5',
      },
      {
        symbol: 'YOUNG',
        reason: 'sma200',
        detail: 'needs 200 bars for the SMA 200 filter, has 150',
      },
    ]);
    const below = screenStocks(u, { ...request, filters: { aboveSma200: false } });
    expect(symbols(below.rows)).toEqual(['DOWN']);
    expect(below.exclusions[0]?.detail).toBe('adjusted close 319 is above its SMA 200 219.5');
    expect(symbols(screenStocks(u, request).rows)).toHaveLength(3);
  });

  it('leaves out symbols with no bar by asOf, or whose last one is over 10 calendar days old', () => {
    const u = universe([
      bars('LIVE', Array<number>(30).fill(5), { start: '2019-12-15' }), // runs to 2020-01-13
      bars('LATER', Array<number>(30).fill(5), { start: day(30) }),
      bars('GONE', Array<number>(30).fill(5), { start: '2019-12-01' }), // last bar 2019-12-30
      bars('PAUSED', Array<number>(30).fill(5), { start: '2019-12-03' }), // last bar 2020-01-01
    ]);
    const asOf = '2020-01-11';
    const result = screenStocks(u, { asOf, weights: only({ reversal_1m: 1 }), top: 10 });
    expect(symbols(result.rows)).toEqual(['LIVE', 'PAUSED']);
    expect(result.rows[1]?.date).toBe('2020-01-01');
    expect(result.universe).toBe(4);
    expect(result.passed).toBe(2);
    expect(result.excluded).toEqual({ no_data: 1, stale: 1 });
    expect(result.exclusions).toEqual([
      {
        symbol: 'GONE',
        reason: 'stale',
        detail: `the last bar on or before ${asOf} is on 2019-12-30, 12 calendar days earlier (more than 10)`,
      },
      { symbol: 'LATER', reason: 'no_data', detail: `no bar on or before ${asOf}` },
    ]);
  });
});

describe('the model_score slot', () => {
  const u = universe([
    lastMonth('A', 0),
    lastMonth('B', 0.05),
    lastMonth('C', -0.05),
    lastMonth('D', 0),
  ]);

  it('is absent without modelScores', () => {
    const result = screenStocks(u, { asOf: day(21) });
    expect(result.factorStats.model_score).toBeUndefined();
    for (const row of result.rows) {
      expect(row.missing).not.toContain('model_score');
      expect(row.zScores.model_score).toBeUndefined();
    }
  });

  it('is z-scored like any factor and weighted by weights.model_score', () => {
    const modelScores = { A: 1, B: 2, C: 3, ELSEWHERE: 100 };
    const result = screenStocks(u, {
      asOf: day(21),
      modelScores,
      weights: only({ model_score: 1.5 }),
    });
    // 1, 2, 3 → mean 2, std √(2/3). D has no score, and no other weighted factor: not ranked.
    expect(symbols(result.rows)).toEqual(['C', 'B', 'A']);
    expect(result.excluded).toEqual({ no_factors: 1 });
    expect(result.factorStats.model_score).toEqual({ count: 3, mean: 2, std: Math.sqrt(2 / 3) });
    const c = result.rows[0] as ScreenRow;
    expect(c.factors.model_score).toBe(3);
    expect(c.zScores.model_score).toBeCloseTo(1 / Math.sqrt(2 / 3), 12);
    expect(c.score).toBeCloseTo(1.5 / Math.sqrt(2 / 3), 12);
    // With another weighted factor D is ranked, its missing model score counting as 0.
    const blended = screenStocks(u, {
      asOf: day(21),
      modelScores,
      weights: only({ model_score: 1.5, reversal_1m: 1 }),
    });
    const d = blended.rows.find((row) => row.symbol === 'D') as ScreenRow;
    expect(d.missing).toContain('model_score');
    expect(d.contributions.model_score).toBe(0);
    expect(d.score).toBe(d.contributions.reversal_1m);
  });

  it('defaults to weight 0: reported but not scored', () => {
    const result = screenStocks(u, { asOf: day(21), modelScores: { A: 1, B: 2 } });
    expect(result.weights.model_score).toBe(0);
    expect(result.rows[0]?.contributions.model_score).toBeUndefined();
    expect(result.rows.find((row) => row.symbol === 'B')?.zScores.model_score).toBe(1);
  });
});

describe('refusals', () => {
  const u = universe([lastMonth('A', 0), bars('B', [1, 2, 3], { start: '2020-01-05' })], {
    A: 'Energy',
    B: 'Utilities',
  });
  const refuse = (target: ScreenUniverse, request: unknown) => () =>
    screenStocks(target, request as { asOf: string });

  it.each([
    {
      name: 'an asOf after every series',
      request: { asOf: '2020-01-23' },
      message:
        'asOf 2020-01-23 is after the last bar of every series; the latest available date is 2020-01-22',
    },
    {
      name: 'an asOf before every series',
      request: { asOf: '2019-12-31' },
      message:
        'asOf 2019-12-31 is before the first bar of every series; the earliest available date is 2020-01-01',
    },
    {
      name: 'an unknown sector',
      request: { asOf: '2020-01-20', filters: { sectors: ['energy', 'Tech'] } },
      message:
        'unknown sector "Tech" in filters.sectors; sectors in the universe are Energy, Utilities',
    },
    {
      name: 'a bad request',
      request: { asOf: '2020-01-20', top: -5 },
      message: 'top must be a whole number from 1 to 500, got -5',
    },
  ])('$name', ({ request, message }) => {
    expect(refuse(u, request)).toThrow(new ScreenRequestError(message));
  });

  it('refuses a universe with nothing to screen or a symbol twice', () => {
    expect(refuse(universe([]), { asOf: '2020-01-20' })).toThrow(
      new ScreenRequestError('the universe has no symbols to screen'),
    );
    expect(refuse(universe([bars('E', [])]), { asOf: '2020-01-20' })).toThrow(
      new ScreenRequestError('no symbol in the universe has any bars; load prices first'),
    );
    expect(
      refuse(universe([lastMonth('A', 0), lastMonth('A', 1)]), { asOf: '2020-01-20' }),
    ).toThrow(new ScreenRequestError('the universe holds A twice; each symbol may appear once'));
  });

  it('throws ScreenRequestError, a RangeError', () => {
    expect(refuse(u, { asOf: 'soon' })).toThrow(ScreenRequestError);
    expect(refuse(u, { asOf: 'soon' })).toThrow(RangeError);
  });
});
