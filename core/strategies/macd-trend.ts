/** macd_trend: long when the MACD line crosses above its signal line. */
import { z } from 'zod';
import { macd } from '../indicators/index.js';
import { crossSignals } from './crossings.js';
import { fastBelowSlow, fastBelowSlowMessage, intParam } from './params.js';
import type { SymbolStrategy } from './strategy.js';

const schema = z
  .strictObject({
    fast: intParam('fast', { min: 2, max: 100, default: 12 }),
    slow: intParam('slow', { min: 3, max: 250, default: 26 }),
    signal: intParam('signal', { min: 1, max: 100, default: 9 }),
  })
  .refine(fastBelowSlow, { error: fastBelowSlowMessage, path: ['fast'] });

type Params = z.infer<typeof schema>;

/** MACD trend following. */
export const macdTrend: SymbolStrategy<Params> = {
  kind: 'per_symbol',
  name: 'macd_trend',
  title: 'MACD trend',
  description:
    'Momentum/trend: long when the MACD line (EMA fast − EMA slow of closes) crosses above its signal line (EMA of MACD), exit (or short) when it crosses below. Parameters: fast (default 12), slow (default 26), signal (default 9), fast < slow.',
  schema,
  space: [
    { name: 'fast', kind: 'int', min: 4, max: 30, step: 2 },
    { name: 'slow', kind: 'int', min: 10, max: 80, step: 4 },
    { name: 'signal', kind: 'int', min: 3, max: 20, step: 1 },
  ],
  accept: (params) => (params.fast as number) < (params.slow as number),
  // The histogram's first value is on bar slow + signal − 2 (see macd.ts); a cross needs one more.
  history: ({ slow, signal }) => ({
    bars: slow + signal,
    params: `slow=${slow} signal=${signal}`,
    because: `the signal line takes ${slow + signal - 1} bars (slow + signal − 1) and a cross one more`,
  }),
  signals: (view, params) => {
    const lines = macd(view.close, params.fast, params.slow, params.signal);
    return crossSignals(lines.histogram);
  },
};
