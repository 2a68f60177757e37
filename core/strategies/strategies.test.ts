/** Strategy signals on hand-written bars, parameter checking, and the cross-sectional rotation. */
import { describe, expect, it } from 'vitest';
import { barsFrom } from '../engine/test-bars.js';
import { createRandom } from '../random.js';
import { buildPanel } from '../series/panel.js';
import { crossSignals } from './crossings.js';
import { STRATEGIES, strategyByName } from './index.js';
import { parseStrategyParams } from './params.js';
import { smaCompare, smaCrossSignals } from './sma-cross.js';
import { SIGNAL } from './strategy.js';

describe('crossSignals', () => {
  it.each([
    ['below → above is a cross up', [-1, 1], [0, 1]],
    ['below → tie → above crosses where they separate', [-1, 0, 1], [0, 0, 1]],
    ['above → tie → above is no cross', [1, 0, 1], [0, 0, 0]],
    ['the first defined bar is never a cross', [Number.NaN, 1, -1], [0, 0, -1]],
    ['above → tie → below is a cross down', [1, 0, 0, -1], [0, 0, 0, -1]],
  ])('%s', (_name, compare, expected) => {
    expect(Array.from(crossSignals(Float64Array.from(compare)))).toEqual(expected);
  });
});

describe('sma_cross exactness', () => {
  it('sees a tie where floating averages would not: (0.1+0.1+0.1)/3 = 0.1', () => {
    // In doubles (0.1 + 0.1 + 0.1) / 3 = 0.10000000000000002 > 0.1: a float SMA would call the
    // flat close "below" its average. On integer ticks it is the tie it really is.
    expect((0.1 + 0.1 + 0.1) / 3).toBeGreaterThan(0.1);
    const view = barsFrom([0.1, 0.1, 0.1]);
    expect(smaCompare(view, 1, 3)[2]).toBe(0);
  });

  it('the fused one-pass signals equal crossSignals(smaCompare(...)) on real-looking data', () => {
    const closes = Array.from(
      { length: 400 },
      (_, i) => Math.round((50 + 10 * Math.sin(i / 7) + (i % 5)) * 100) / 100,
    );
    const view = barsFrom(closes);
    for (const [fast, slow] of [
      [1, 2],
      [3, 9],
      [5, 20],
      [10, 50],
    ] as const) {
      expect(smaCrossSignals(view, fast, slow)).toEqual(crossSignals(smaCompare(view, fast, slow)));
    }
  });
});

describe('strategy parameters', () => {
  it('every strategy accepts its defaults and declares a search space inside its schema', () => {
    for (const strategy of STRATEGIES) {
      const defaults = parseStrategyParams(strategy, {});
      for (const spec of strategy.space) {
        for (const value of [spec.min, spec.max]) {
          const params = { ...defaults, [spec.name]: value };
          if (strategy.accept(params))
            expect(parseStrategyParams(strategy, params)[spec.name]).toBe(value);
        }
      }
    }
  });

  it.each([
    [
      'rsi_reversion',
      { lower: 80, upper: 20 },
      'rsi_reversion: lower (80) must be less than upper (20)',
    ],
    [
      'donchian_breakout',
      { entry: 10, exit: 20 },
      'donchian_breakout: exit (20) must be at most entry (10)',
    ],
    [
      'bollinger_reversion',
      { k: 9 },
      'bollinger_reversion: k must be a number from 0.1 to 5, got 9',
    ],
    [
      'macd_trend',
      { signal: 1.5 },
      'macd_trend: signal must be a whole number from 1 to 100, got 1.5',
    ],
    ['buy_and_hold', { fast: 3 }, 'unknown parameter "fast" for buy_and_hold'],
  ])('%s refuses %o', (name, params, message) => {
    expect(() => parseStrategyParams(strategyByName(name), params)).toThrow(message);
  });
});

describe('per-symbol signals', () => {
  it('rsi_reversion buys oversold and sells overbought', () => {
    const closes = [
      ...Array.from({ length: 20 }, (_, i) => 100 - i * 2),
      ...Array.from({ length: 20 }, (_, i) => 62 + i * 3),
    ];
    const signals = strategyByName('rsi_reversion');
    if (signals.kind !== 'per_symbol') throw new Error('expected per-symbol');
    const codes = Array.from(
      signals.signals(barsFrom(closes), { period: 5, lower: 30, upper: 70 }),
    );
    expect(codes.slice(6, 19).every((code) => code === 1)).toBe(true);
    expect(codes.slice(26).every((code) => code === -1)).toBe(true);
  });

  it('donchian_breakout enters on a new high against the previous channel', () => {
    const strategy = strategyByName('donchian_breakout');
    if (strategy.kind !== 'per_symbol') throw new Error('expected per-symbol');
    // Highs [10, 11, 11, 11, 12, 12, 11], lows [10, 10, 10, 10, 11, 11, 9] (open = previous close).
    // Bar 3: 11 is not above the previous 3-bar high 11; bar 4: 12 is. Bar 6: 9 breaks the 3-bar low 10.
    const codes = Array.from(
      strategy.signals(barsFrom([10, 11, 10, 11, 12, 11, 9]), { entry: 3, exit: 2 }),
    );
    expect(codes).toEqual([0, 0, 0, 0, 1, 0, -1]);
  });
});

describe('momentum_rotation', () => {
  it('holds the top K by look-back return from the last trading day of each month', () => {
    const days = 70;
    const up = barsFrom(
      Array.from({ length: days }, (_, i) => 10 + i),
      { symbol: 'UP' },
    );
    const flat = barsFrom(
      Array.from({ length: days }, () => 10),
      { symbol: 'FLAT' },
    );
    const down = barsFrom(
      Array.from({ length: days }, (_, i) => 100 - i),
      { symbol: 'DOWN' },
    );
    const strategy = strategyByName('momentum_rotation');
    if (strategy.kind !== 'cross_sectional') throw new Error('expected cross-sectional');
    const panel = buildPanel([up, flat, down]);
    const targets = strategy.targets(panel, { lookback: 5, top: 1 });
    // Month ends inside the data: 2020-01-31 and 2020-02-29 (the data ends on 2020-03-10).
    expect(targets.days.map((day) => panel.dates[day])).toEqual(['2020-01-31', '2020-02-29']);
    expect(Array.from(targets.weights[0] as Float64Array)).toEqual([1, 0, 0]);
    expect(() => strategy.targets(panel, { lookback: 5, top: 4 })).toThrow(
      'top (4) must be at most the number of symbols (3)',
    );
  });
});

describe('history needed', () => {
  // Random walks: over many seeds, the earliest entry (long or short) of each per-symbol strategy
  // falls exactly on the last of the bars its history() claims, never before (so fewer bars cannot
  // trade: an exit signal with nothing held trades nothing).
  const walk = (seed: number, n: number) => {
    const random = createRandom(seed);
    let price = 50;
    return Array.from({ length: n }, () => {
      price = Math.max(1, Math.round((price + (random.next() - 0.5) * 4) * 100) / 100);
      return price;
    });
  };

  it.each([
    ['sma_cross', { fast: 2, slow: 5 }],
    ['ema_cross', { fast: 2, slow: 5 }],
    ['macd_trend', { fast: 2, slow: 4, signal: 3 }],
    ['rsi_reversion', { period: 3, lower: 45, upper: 55 }],
    ['bollinger_reversion', { period: 4, k: 0.5 }],
    ['donchian_breakout', { entry: 3, exit: 2 }],
    ['buy_and_hold', {}],
  ])('%s %j signals first on bar history().bars − 1', (name, raw) => {
    const strategy = strategyByName(name);
    if (strategy.kind !== 'per_symbol') throw new Error('expected per-symbol');
    const params = parseStrategyParams(strategy, raw);
    const { bars } = strategy.history(params);
    let earliest = Number.POSITIVE_INFINITY;
    for (let seed = 1; seed <= 200; seed++) {
      const codes = strategy.signals(barsFrom(walk(seed, 40)), params);
      const first = codes.findIndex((code) => code === SIGNAL.LONG || code === SIGNAL.SHORT);
      if (first >= 0) earliest = Math.min(earliest, first);
    }
    expect(earliest).toBe(bars - 1);
  });
});
