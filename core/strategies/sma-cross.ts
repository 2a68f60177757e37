/** sma_cross: long when the fast simple moving average crosses above the slow one. */
import { z } from 'zod';
import type { BarView } from '../series/price-series.js';
import { crossSignals } from './crossings.js';
import { fastBelowSlow, fastBelowSlowMessage, intParam } from './params.js';
import type { SymbolStrategy } from './strategy.js';

const schema = z
  .strictObject({
    fast: intParam('fast', { min: 1, max: 250, default: 10 }),
    slow: intParam('slow', { min: 2, max: 500, default: 50 }),
  })
  .refine(fastBelowSlow, { error: fastBelowSlowMessage, path: ['fast'] });

type Params = z.infer<typeof schema>;

const prefixCache = new WeakMap<BarView, Float64Array>();

/** Running sums of close ticks: prefix[t] = Σ closeTicks[0..t-1], exact integers (cached per view). */
function tickPrefix(view: BarView): Float64Array {
  let prefix = prefixCache.get(view);
  if (!prefix) {
    prefix = new Float64Array(view.closeTicks.length + 1);
    for (let t = 0; t < view.closeTicks.length; t++)
      prefix[t + 1] = (prefix[t] as number) + (view.closeTicks[t] as number);
    prefixCache.set(view, prefix);
  }
  return prefix;
}

/**
 * sign(SMA_fast − SMA_slow) per bar, exactly. Averages of decimal prices are not decimals, and
 * doubles would round SMA_fast and SMA_slow differently, turning real ties into tiny differences
 * and so into false crosses (or hiding real ones). Instead the closes are integer ticks, window
 * sums are differences of integer running sums, and fast > slow is tested as
 * slow·Σfast > fast·Σslow — integers all the way, exact while they stay below 2^53, which is
 * checked; beyond that BigInt does the same sums.
 */
export function smaCompare(view: BarView, fast: number, slow: number): Float64Array {
  const n = view.closeTicks.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const prefix = tickPrefix(view);
  const safe = view.maxTick * slow * Math.max(fast, n / slow + 1) < Number.MAX_SAFE_INTEGER;
  if (safe) {
    for (let t = slow - 1; t < n; t++) {
      const sumFast = (prefix[t + 1] as number) - (prefix[t + 1 - fast] as number);
      const sumSlow = (prefix[t + 1] as number) - (prefix[t + 1 - slow] as number);
      out[t] = slow * sumFast - fast * sumSlow;
    }
    return out;
  }
  const ticks = Array.from(view.closeTicks, (tick) => BigInt(tick));
  const sums: bigint[] = [0n];
  for (const tick of ticks) sums.push((sums[sums.length - 1] as bigint) + tick);
  const bigFast = BigInt(fast);
  const bigSlow = BigInt(slow);
  for (let t = slow - 1; t < n; t++) {
    const sumFast = (sums[t + 1] as bigint) - (sums[t + 1 - fast] as bigint);
    const sumSlow = (sums[t + 1] as bigint) - (sums[t + 1 - slow] as bigint);
    const diff = bigSlow * sumFast - bigFast * sumSlow;
    out[t] = diff > 0n ? 1 : diff < 0n ? -1 : 0;
  }
  return out;
}

/**
 * Crossing signals straight from the exact comparison, in one pass and one allocation (the
 * optimizer's hot path): the same rule as crossSignals(smaCompare(...)), which a test checks.
 */
export function smaCrossSignals(view: BarView, fast: number, slow: number): Int8Array {
  const n = view.closeTicks.length;
  const prefix = tickPrefix(view);
  const safe = view.maxTick * slow * Math.max(fast, n / slow + 1) < Number.MAX_SAFE_INTEGER;
  if (!safe) return crossSignals(smaCompare(view, fast, slow));
  const out = new Int8Array(n);
  let last = 0;
  for (let t = slow - 1; t < n; t++) {
    const end = prefix[t + 1] as number;
    const c =
      slow * (end - (prefix[t + 1 - fast] as number)) -
      fast * (end - (prefix[t + 1 - slow] as number));
    if (c > 0) {
      if (last < 0) out[t] = 1;
      last = 1;
    } else if (c < 0) {
      if (last > 0) out[t] = -1;
      last = -1;
    }
  }
  return out;
}

/** The simple-moving-average crossover. */
export const smaCross: SymbolStrategy<Params> = {
  kind: 'per_symbol',
  name: 'sma_cross',
  title: 'SMA crossover',
  description:
    'Trend following: goes long when the fast simple moving average of closes crosses above the slow one and exits (or goes short, in long/short runs) when it crosses below. An exact tie is not a cross. Parameters: fast (bars, default 10), slow (bars, default 50), fast < slow.',
  schema,
  space: [
    { name: 'fast', kind: 'int', min: 5, max: 50, step: 5 },
    { name: 'slow', kind: 'int', min: 20, max: 200, step: 20 },
  ],
  accept: (params) => (params.fast as number) < (params.slow as number),
  // The slow average's first value is on bar slow − 1; a cross needs an earlier bar to differ.
  history: ({ slow }) => ({
    bars: slow + 1,
    params: `slow=${slow}`,
    because: `the slow average takes ${slow} bars and a cross one more`,
  }),
  signals: (view, params) => smaCrossSignals(view, params.fast, params.slow),
};
