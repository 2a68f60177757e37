/** A backtest on fewer bars than its slowest indicator needs is refused, saying how many it needs. */
import { describe, expect, it } from 'vitest';
import { BacktestInputError, runBacktest } from './backtest.js';
import { barsFrom } from './test-bars.js';

const wave = (n: number, offset = 0) =>
  Array.from(
    { length: n },
    (_, i) => Math.round((50 + 5 * Math.sin((i + offset) / 3)) * 100) / 100,
  );

function refusal(run: () => unknown): BacktestInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BacktestInputError);
    return error as BacktestInputError;
  }
  throw new Error('the backtest ran');
}

describe('too little history for the strategy', () => {
  it('names the strategy, the parameter, the bars needed and the bars the symbol has', () => {
    const view = barsFrom(wave(30), { symbol: 'AAPL' });
    const error = refusal(() =>
      runBacktest({ strategy: 'sma_cross', params: { fast: 10, slow: 50 }, views: [view] }),
    );
    expect(error.message).toBe(
      'sma_cross slow=50 needs at least 51 bars (the slow average takes 50 bars and a cross one more); ' +
        'AAPL has 30, 2020-01-01 to 2020-01-30. Start the range earlier or use a smaller slow.',
    );
  });

  it('runs from exactly the bars needed on', () => {
    const result = runBacktest({
      strategy: 'sma_cross',
      params: { fast: 10, slow: 50 },
      views: [barsFrom(wave(51))],
    });
    expect(result.inputs.data[0]?.bars).toBe(51);
  });

  it.each([
    ['ema_cross', { slow: 26 }, 27, 'ema_cross slow=26 needs at least 27 bars'],
    [
      'macd_trend',
      { slow: 26, signal: 9 },
      35,
      'macd_trend slow=26 signal=9 needs at least 35 bars',
    ],
    ['rsi_reversion', { period: 14 }, 15, 'rsi_reversion period=14 needs at least 15 bars'],
    [
      'bollinger_reversion',
      { period: 20 },
      20,
      'bollinger_reversion period=20 needs at least 20 bars',
    ],
    ['donchian_breakout', { entry: 20 }, 21, 'donchian_breakout entry=20 needs at least 21 bars'],
  ])(
    '%s %j: refused on one bar fewer than %i, with the reason',
    (strategy, params, bars, start) => {
      const error = refusal(() =>
        runBacktest({ strategy, params, views: [barsFrom(wave(bars - 1))] }),
      );
      expect(error.message.startsWith(start)).toBe(true);
      expect(error.message).toContain(`TEST has ${bars - 1}, `);
      expect(() => runBacktest({ strategy, params, views: [barsFrom(wave(bars))] })).not.toThrow();
    },
  );

  it('lists every symbol when none has enough, and runs when one has', () => {
    const short = ['KO', 'MSFT'].map((symbol, k) => barsFrom(wave(40, k), { symbol }));
    const error = refusal(() =>
      runBacktest({
        strategy: 'momentum_rotation',
        params: { lookback: 60, top: 1 },
        views: short,
      }),
    );
    expect(error.message).toBe(
      'momentum_rotation lookback=60 needs at least 61 bars (the 60-bar return needs 61 closes); ' +
        'KO has 40, 2020-01-01 to 2020-02-09; MSFT has 40, 2020-01-01 to 2020-02-09. ' +
        'Start the range earlier or use a smaller lookback.',
    );
    const long = barsFrom(wave(120), { symbol: 'AAPL' });
    const result = runBacktest({
      strategy: 'momentum_rotation',
      params: { lookback: 60, top: 1 },
      views: [long, ...short],
    });
    expect(result.inputs.symbols).toEqual(['AAPL', 'KO', 'MSFT']);
  });
});
