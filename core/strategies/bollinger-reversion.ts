/** bollinger_reversion: buy a close below the lower band, take profit back at the middle band. */
import { z } from 'zod';
import { bollinger } from '../indicators/index.js';
import { floatParam, intParam } from './params.js';
import { SIGNAL, type SymbolStrategy } from './strategy.js';

const schema = z.strictObject({
  period: intParam('period', { min: 2, max: 250, default: 20 }),
  k: floatParam('k', { min: 0.1, max: 5, default: 2 }),
});

type Params = z.infer<typeof schema>;

/** Mean reversion on Bollinger Bands. */
export const bollingerReversion: SymbolStrategy<Params> = {
  kind: 'per_symbol',
  name: 'bollinger_reversion',
  title: 'Bollinger Band reversion',
  description:
    'Mean reversion: long when the close falls below the lower band (SMA − k·σ over period), exit when it gets back to the middle band; in long/short runs also short above the upper band and cover at the middle. Parameters: period (default 20), k (standard deviations, default 2).',
  schema,
  space: [
    { name: 'period', kind: 'int', min: 10, max: 60, step: 5 },
    { name: 'k', kind: 'float', min: 1, max: 3, step: 0.25 },
  ],
  accept: () => true,
  history: ({ period }) => ({
    bars: period,
    params: `period=${period}`,
    because: `the bands take ${period} bars`,
  }),
  signals: (view, params) => {
    const bands = bollinger(view.close, params.period, params.k);
    const out = new Int8Array(view.close.length);
    for (let t = 0; t < out.length; t++) {
      const close = view.close[t] as number;
      const middle = bands.middle[t] as number;
      if (Number.isNaN(middle)) continue;
      if (close < (bands.lower[t] as number)) out[t] = SIGNAL.LONG;
      else if (close > (bands.upper[t] as number)) out[t] = SIGNAL.SHORT;
      else if (close >= middle) out[t] = SIGNAL.EXIT_LONG;
      else out[t] = SIGNAL.EXIT_SHORT;
    }
    return out;
  },
};
