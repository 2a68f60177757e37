/** Strategy readings: the indicator values and signal on one bar, from bars up to that bar only. */
import { describe, expect, it } from 'vitest';
import { barsFrom } from '../engine/test-bars.js';
import { strategyByName } from './index.js';
import { parseStrategyParams } from './params.js';
import { strategyReading } from './readings.js';

const closes = Array.from({ length: 120 }, (_, i) => 100 + 10 * Math.sin(i / 9) + i * 0.05);

describe('strategyReading', () => {
  it('gives sma_cross its two averages and the buy signal on the bar where fast crosses above slow', () => {
    const view = barsFrom(closes.map((c) => Math.round(c * 100) / 100));
    const strategy = strategyByName('sma_cross');
    const params = parseStrategyParams(strategy, { fast: 5, slow: 20 });
    const signals = strategy.kind === 'per_symbol' ? strategy.signals(view, params) : undefined;
    const cross = Array.from(signals ?? []).indexOf(1);
    expect(cross).toBeGreaterThan(20);
    const reading = strategyReading(strategy, view, params, cross);
    expect(reading.signal).toBe('buy');
    const mean = (n: number) =>
      Array.from(view.close.slice(cross + 1 - n, cross + 1)).reduce((a, b) => a + b, 0) / n;
    expect(reading.values.sma_5).toBeCloseTo(mean(5), 9);
    expect(reading.values.sma_20).toBeCloseTo(mean(20), 9);
    expect(reading.values.sma_5 as number).toBeGreaterThan(reading.values.sma_20 as number);
    // One bar earlier the fast average was not above the slow one: that is what made it a cross.
    const before = strategyReading(strategy, view, params, cross - 1);
    expect(before.signal).toBe('none');
    expect(before.values.sma_5 as number).toBeLessThanOrEqual(before.values.sma_20 as number);
  });

  it('does not look ahead: the reading on bar t is the same when later bars are cut off', () => {
    const strategy = strategyByName('rsi_reversion');
    const params = parseStrategyParams(strategy, {});
    const full = strategyReading(strategy, barsFrom(closes), params, 60);
    const cut = strategyReading(strategy, barsFrom(closes.slice(0, 61)), params, 60);
    expect(full).toEqual(cut);
    expect(full.values.rsi_14).toBeGreaterThan(0);
  });

  it('is null during warm-up and ranked for a cross-sectional strategy', () => {
    const rotation = strategyByName('momentum_rotation');
    const params = parseStrategyParams(rotation, { lookback: 50 });
    const view = barsFrom(closes);
    expect(strategyReading(rotation, view, params, 10).values.return_50d).toBeNull();
    const later = strategyReading(rotation, view, params, 100);
    expect(later.signal).toBe('ranked');
    expect(later.values.return_50d).toBeCloseTo(
      (closes[100] as number) / (closes[50] as number) - 1,
      9,
    );
  });
});
