/** rsi_reversion: buy oversold (RSI below a floor), sell overbought (RSI above a ceiling). */
import { z } from 'zod';
import { rsi } from '../indicators/index.js';
import { floatParam, intParam } from './params.js';
import { SIGNAL, type SymbolStrategy } from './strategy.js';

const schema = z
  .strictObject({
    period: intParam('period', { min: 2, max: 100, default: 14 }),
    lower: floatParam('lower', { min: 1, max: 99, default: 30 }),
    upper: floatParam('upper', { min: 1, max: 99, default: 70 }),
  })
  .refine((params) => params.lower < params.upper, {
    error: (issue) => {
      const input = issue.input as { lower?: number; upper?: number } | undefined;
      return `lower (${input?.lower}) must be less than upper (${input?.upper})`;
    },
    path: ['lower'],
  });

type Params = z.infer<typeof schema>;

/** Mean reversion on Wilder's RSI. */
export const rsiReversion: SymbolStrategy<Params> = {
  kind: 'per_symbol',
  name: 'rsi_reversion',
  title: 'RSI mean reversion',
  description:
    "Mean reversion: long when Wilder's RSI of closes is below `lower` (oversold), exit (or short) when it is above `upper` (overbought). Suits range-bound names, loses in strong trends. Parameters: period (default 14), lower (default 30), upper (default 70), lower < upper.",
  schema,
  space: [
    { name: 'period', kind: 'int', min: 5, max: 30, step: 1 },
    { name: 'lower', kind: 'int', min: 10, max: 40, step: 5 },
    { name: 'upper', kind: 'int', min: 60, max: 90, step: 5 },
  ],
  accept: (params) => (params.lower as number) < (params.upper as number),
  // Wilder's RSI is seeded with the first `period` changes, so its first value is on bar period.
  history: ({ period }) => ({
    bars: period + 1,
    params: `period=${period}`,
    because: `the RSI takes ${period} changes, so ${period + 1} closes`,
  }),
  signals: (view, params) => {
    const values = rsi(view.close, params.period);
    const out = new Int8Array(values.length);
    for (let t = 0; t < values.length; t++) {
      const value = values[t] as number;
      if (value < params.lower) out[t] = SIGNAL.LONG;
      else if (value > params.upper) out[t] = SIGNAL.SHORT;
    }
    return out;
  },
};
