/** historicalVar on samples whose tails are known by construction. */
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../random.js';
import { historicalVar, tailCount } from './historical-var.js';
import { PortfolioAnalyticsError } from './types.js';

/** The returns −5.0 %, −4.9 %, …, +4.9 % (100 of them), shuffled with a fixed seed. */
function ladder(): Float64Array {
  const values = Float64Array.from({ length: 100 }, (_, i) => (i - 50) / 1000);
  const random = createRandom(7);
  for (let i = values.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    const a = values[i] as number;
    values[i] = values[j] as number;
    values[j] = a;
  }
  return values;
}

describe('tailCount', () => {
  it('is ⌈(1 − confidence)·N⌉, at least 1, without float overshoot', () => {
    expect(tailCount(500, 0.95)).toBe(25); // (1 − 0.95) × 500 = 25.000000000000004 in doubles
    expect(tailCount(100, 0.95)).toBe(5);
    expect(tailCount(500, 0.99)).toBe(5);
    expect(tailCount(21, 0.95)).toBe(2); // 1.05 → 2
    expect(tailCount(19, 0.95)).toBe(1); // 0.95 → 1
    expect(tailCount(1, 0.95)).toBe(1);
    expect(tailCount(1000, 0.975)).toBe(25);
  });
});

describe('historicalVar', () => {
  it('takes the k-th worst return and the mean of the k worst', () => {
    // N = 100 at 95 %: k = 5; the five worst are −5.0 … −4.6 %.
    // VaR = 4.6 %; CVaR = (5.0 + 4.9 + 4.8 + 4.7 + 4.6) / 5 = 4.8 %.
    const result = historicalVar(ladder(), 0.95);
    expect(result.tailCount).toBe(5);
    expect(result.observations).toBe(100);
    expect(result.var).toBeCloseTo(0.046, 15);
    expect(result.cvar).toBeCloseTo(0.048, 15);
  });

  it('follows the confidence: at 99 % the single worst day', () => {
    const result = historicalVar(ladder(), 0.99);
    expect(result.tailCount).toBe(1);
    expect(result.var).toBeCloseTo(0.05, 15);
    expect(result.cvar).toBeCloseTo(0.05, 15);
  });

  it('reports a negative loss when even the tail gained, and 0 (not −0) for flat returns', () => {
    const gains = historicalVar([0.01, 0.02, 0.03, 0.04], 0.5);
    expect(gains.var).toBeCloseTo(-0.02, 15);
    expect(gains.cvar).toBeCloseTo(-0.015, 15);
    const flat = historicalVar(new Float64Array(30), 0.95);
    expect(Object.is(flat.var, 0)).toBe(true);
    expect(Object.is(flat.cvar, 0)).toBe(true);
  });

  it('refuses a bad confidence, an empty sample and non-finite returns', () => {
    expect(() => historicalVar([0.01], 1)).toThrow(
      'confidence must be a fraction strictly between 0 and 1 (0.95 = 95 %), got 1',
    );
    expect(() => historicalVar([], 0.95)).toThrow(PortfolioAnalyticsError);
    expect(() => historicalVar([0.01, Number.NaN], 0.95)).toThrow(
      'return 1 is not a finite number: NaN',
    );
  });
});
