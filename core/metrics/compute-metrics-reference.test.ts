/** computeMetrics checked against a deliberately plain re-implementation on long pseudo-random curves. */

// The product code uses one-pass shifted sums and a pre-filtered drawdown scan; agreement with
// arrays of returns, two-pass means and a brute-force drawdown is the evidence that those
// shortcuts change nothing but speed.
import { describe, expect, it } from 'vitest';
import { createRandom } from '../random.js';
import { computeMetrics, drawdownCurve } from './compute-metrics.js';

const PERIODS = 252;

function mean(values: number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Sample covariance, two passes: means first, then the products of deviations. */
function covariance(x: number[], y: number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += ((x[i] as number) - mx) * ((y[i] as number) - my);
  return sum / (x.length - 1);
}

function returnsOf(curve: Float64Array): number[] {
  const returns: number[] = [];
  for (let i = 1; i < curve.length; i++) {
    returns.push((curve[i] as number) / (curve[i - 1] as number) - 1);
  }
  return returns;
}

/** The textbook figures, written for clarity with no regard for speed. */
function reference(equity: Float64Array, benchmark: Float64Array, riskFreeRate: number) {
  const r = returnsOf(equity);
  const rb = returnsOf(benchmark);
  const rfBar = riskFreeRate / PERIODS;
  const std = Math.sqrt(covariance(r, r));
  const downside = Math.sqrt(mean(r.map((x) => Math.min(0, x - rfBar) ** 2)));
  const beta = covariance(r, rb) / covariance(rb, rb);
  const active = r.map((x, i) => x - (rb[i] as number));
  // Brute force: for every trough, look back for the highest value before it.
  let depth = 0;
  let peak = 0;
  let trough = 0;
  let largestFall = 0;
  for (let j = 0; j < equity.length; j++) {
    for (let i = 0; i <= j; i++) {
      const fall = (equity[i] as number) - (equity[j] as number);
      largestFall = Math.max(largestFall, fall);
      const below = fall / (equity[i] as number);
      if (below > depth) {
        depth = below;
        trough = j;
        peak = i;
      }
    }
  }
  // The scan reports the LAST bar at the peak level before the trough.
  for (let i = peak; i < trough; i++) if (equity[i] === equity[peak]) peak = i;
  let recovery = -1;
  for (let k = trough + 1; k < equity.length; k++) {
    if ((equity[k] as number) >= (equity[peak] as number)) {
      recovery = k;
      break;
    }
  }
  return {
    annualVolatility: std * Math.sqrt(PERIODS),
    sharpe: ((mean(r) - rfBar) / std) * Math.sqrt(PERIODS),
    sortino: ((mean(r) - rfBar) / downside) * Math.sqrt(PERIODS),
    beta,
    alpha: (mean(r) - rfBar - beta * (mean(rb) - rfBar)) * PERIODS,
    informationRatio: (mean(active) / Math.sqrt(covariance(active, active))) * Math.sqrt(PERIODS),
    depth,
    peak,
    trough,
    recovery,
    largestFall,
  };
}

/** A daily random walk with drift around `level`, and a benchmark sharing part of its moves. */
function walk(seed: number, bars: number, level: number) {
  const random = createRandom(seed);
  const equity = new Float64Array(bars);
  const benchmark = new Float64Array(bars);
  let value = level;
  let index = level;
  for (let i = 0; i < bars; i++) {
    const market = 0.0003 + 0.012 * random.normal();
    value *= 1 + 0.8 * market + 0.006 * random.normal();
    index *= 1 + market;
    equity[i] = value;
    benchmark[i] = index;
  }
  return { equity, benchmark };
}

const dates = (count: number): string[] =>
  Array.from({ length: count }, (_, i) =>
    new Date(Date.UTC(2000, 0, 3) + i * 86_400_000).toISOString().slice(0, 10),
  );

describe('computeMetrics against a plain reference', () => {
  it.each([
    { seed: 1, bars: 1500, level: 100_000, riskFreeRate: 0 },
    { seed: 2, bars: 1500, level: 1e9, riskFreeRate: 0.04 },
    { seed: 3, bars: 800, level: 1, riskFreeRate: 0.02 },
  ])(
    'seed $seed, $bars bars at $level, rf $riskFreeRate',
    ({ seed, bars, level, riskFreeRate }) => {
      const { equity, benchmark } = walk(seed, bars, level);
      const want = reference(equity, benchmark, riskFreeRate);
      const got = computeMetrics({
        dates: dates(bars),
        equity,
        exposure: new Float64Array(bars).fill(1),
        tradedNotional: 0,
        trades: [],
        benchmark,
        riskFreeRate,
      });
      // Relative agreement to 1e-9: far tighter than any figure is ever read.
      const close = (actual: number | null, expected: number) => {
        expect(actual).not.toBeNull();
        expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(
          1e-9 * Math.max(1, Math.abs(expected)),
        );
      };
      close(got.annualVolatility, want.annualVolatility);
      close(got.sharpe, want.sharpe);
      close(got.sortino, want.sortino);
      close(got.beta, want.beta);
      close(got.alpha, want.alpha);
      close(got.informationRatio, want.informationRatio);
      // The walk is volatile enough that these are far from trivial values.
      expect(want.annualVolatility).toBeGreaterThan(0.1);
      expect(want.beta).toBeGreaterThan(0.5);
      expect(got.maxDrawdown.depth).toBe(want.depth);
      expect(got.maxDrawdown.peakDate).toBe(dates(bars)[want.peak]);
      expect(got.maxDrawdown.troughDate).toBe(dates(bars)[want.trough]);
      expect(got.maxDrawdown.recoveryDate).toBe(
        want.recovery < 0 ? null : dates(bars)[want.recovery],
      );
      const netProfit = (equity[bars - 1] as number) - (equity[0] as number);
      close(got.recoveryFactor, netProfit / want.largestFall);
      expect(want.largestFall).toBeGreaterThan(0);
    },
  );

  it('drawdownCurve matches equity / running maximum − 1 at every bar', () => {
    const { equity } = walk(4, 2000, 100);
    const curve = drawdownCurve(equity);
    let peak = 0;
    let deepest = 0;
    for (let i = 0; i < equity.length; i++) {
      peak = Math.max(peak, equity[i] as number);
      expect(curve[i]).toBe((equity[i] as number) / peak - 1);
      deepest = Math.min(deepest, curve[i] as number);
    }
    expect(deepest).toBeLessThan(-0.05);
  });
});
