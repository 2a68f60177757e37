/** ema_cross: long when the fast exponential moving average crosses above the slow one. */
import { z } from 'zod';
import { ema } from '../indicators/index.js';
import { crossSignals } from './crossings.js';
import { fastBelowSlow, fastBelowSlowMessage, intParam } from './params.js';
import type { SymbolStrategy } from './strategy.js';

const schema = z
  .strictObject({
    fast: intParam('fast', { min: 1, max: 250, default: 12 }),
    slow: intParam('slow', { min: 2, max: 500, default: 26 }),
  })
  .refine(fastBelowSlow, { error: fastBelowSlowMessage, path: ['fast'] });

type Params = z.infer<typeof schema>;

/** The exponential-moving-average crossover. */
export const emaCross: SymbolStrategy<Params> = {
  kind: 'per_symbol',
  name: 'ema_cross',
  title: 'EMA crossover',
  description:
    'Trend following that reacts faster than sma_cross: long when the fast EMA of closes crosses above the slow EMA, exit (or short) when it crosses below. EMAs are seeded with the simple average of their first window. Parameters: fast (default 12), slow (default 26), fast < slow.',
  schema,
  space: [
    { name: 'fast', kind: 'int', min: 5, max: 50, step: 5 },
    { name: 'slow', kind: 'int', min: 20, max: 200, step: 20 },
  ],
  accept: (params) => (params.fast as number) < (params.slow as number),
  // The slow EMA is seeded with the mean of its first `slow` closes; a cross needs one bar more.
  history: ({ slow }) => ({
    bars: slow + 1,
    params: `slow=${slow}`,
    because: `the slow EMA takes ${slow} bars and a cross one more`,
  }),
  signals: (view, params) => {
    // EMAs are irrational-valued recurrences, so exact ties cannot be engineered as for SMAs;
    // a tie here only happens on a flat series, where "no cross" is again the right answer.
    const fast = ema(view.close, params.fast);
    const slow = ema(view.close, params.slow);
    const compare = new Float64Array(fast.length);
    for (let t = 0; t < compare.length; t++) compare[t] = (fast[t] as number) - (slow[t] as number);
    return crossSignals(compare);
  },
};
