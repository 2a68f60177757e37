/** donchian_breakout: the turtle rule — buy a new N-day high, exit on a shorter M-day low. */
import { z } from 'zod';
import { donchian } from '../indicators/index.js';
import { intParam } from './params.js';
import { SIGNAL, type SymbolStrategy } from './strategy.js';

const schema = z
  .strictObject({
    entry: intParam('entry', { min: 2, max: 250, default: 20 }),
    exit: intParam('exit', { min: 1, max: 250, default: 10 }),
  })
  .refine((params) => params.exit <= params.entry, {
    error: (issue) => {
      const input = issue.input as { entry?: number; exit?: number } | undefined;
      return `exit (${input?.exit}) must be at most entry (${input?.entry})`;
    },
    path: ['exit'],
  });

type Params = z.infer<typeof schema>;

/** Channel breakout. */
export const donchianBreakout: SymbolStrategy<Params> = {
  kind: 'per_symbol',
  name: 'donchian_breakout',
  title: 'Donchian channel breakout',
  description:
    'Trend following (the turtle rule): long when the close breaks above the highest high of the previous `entry` bars, exit when it breaks below the lowest low of the previous `exit` bars; in long/short runs, the mirror image for shorts. Parameters: entry (default 20), exit (default 10), exit ≤ entry.',
  schema,
  space: [
    { name: 'entry', kind: 'int', min: 10, max: 100, step: 10 },
    { name: 'exit', kind: 'int', min: 5, max: 50, step: 5 },
  ],
  accept: (params) => (params.exit as number) <= (params.entry as number),
  // A close is compared with the previous bar's channel, whose first value is on bar entry − 1.
  history: ({ entry }) => ({
    bars: entry + 1,
    params: `entry=${entry}`,
    because: `the entry channel takes ${entry} bars and is compared with the next close`,
  }),
  signals: (view, params) => {
    // The channels include their own bar, so today's close is compared with yesterday's channel.
    const entry = donchian(view.high, view.low, params.entry);
    const exit = donchian(view.high, view.low, params.exit);
    const out = new Int8Array(view.close.length);
    for (let t = 1; t < out.length; t++) {
      const close = view.close[t] as number;
      if (close > (entry.upper[t - 1] as number)) out[t] = SIGNAL.LONG;
      else if (close < (entry.lower[t - 1] as number)) out[t] = SIGNAL.SHORT;
      else if (close < (exit.lower[t - 1] as number)) out[t] = SIGNAL.EXIT_LONG;
      else if (close > (exit.upper[t - 1] as number)) out[t] = SIGNAL.EXIT_SHORT;
    }
    return out;
  },
};
