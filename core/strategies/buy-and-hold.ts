/** buy_and_hold: buy on the first bar and hold — the benchmark every strategy is measured against. */
import { z } from 'zod';
import { SIGNAL, type SymbolStrategy } from './strategy.js';

const schema = z.strictObject({});

/** Buy and hold. */
export const buyAndHold: SymbolStrategy<Record<string, never>> = {
  kind: 'per_symbol',
  name: 'buy_and_hold',
  title: 'Buy and hold',
  description:
    'The benchmark: buys on the first bar (filled like any signal) and holds to the end. No parameters.',
  schema,
  space: [],
  accept: () => true,
  history: () => ({ bars: 1, params: '', because: 'it buys on the first bar' }),
  signals: (view) => {
    const out = new Int8Array(view.close.length);
    if (out.length > 0) out[0] = SIGNAL.LONG;
    return out;
  },
};
