/** momentum_rotation: each month, hold the K symbols with the best N-day return, equally weighted. */
import { z } from 'zod';
import { intParam, StrategyParamsError } from './params.js';
import type { PortfolioStrategy, WeightTargets } from './strategy.js';

const schema = z.strictObject({
  lookback: intParam('lookback', { min: 5, max: 504, default: 126 }),
  top: intParam('top', { min: 1, max: 100, default: 3 }),
});

type Params = z.infer<typeof schema>;

/** Cross-sectional momentum with monthly rebalancing. */
export const momentumRotation: PortfolioStrategy<Params> = {
  kind: 'cross_sectional',
  name: 'momentum_rotation',
  title: 'Momentum rotation',
  description:
    'Cross-sectional momentum: on the last trading day of each month, ranks the symbols by their return over the previous `lookback` bars (adjusted closes, so splits and dividends do not count as moves) and holds the `top` best in equal weights until the next month. Needs several symbols. Parameters: lookback (bars, default 126 ≈ 6 months), top (default 3).',
  schema,
  space: [
    { name: 'lookback', kind: 'int', min: 21, max: 252, step: 21 },
    { name: 'top', kind: 'int', min: 1, max: 10, step: 1 },
  ],
  accept: () => true,
  // A symbol is ranked once it has `lookback` bars before the rebalance day.
  history: ({ lookback }) => ({
    bars: lookback + 1,
    params: `lookback=${lookback}`,
    because: `the ${lookback}-bar return needs ${lookback + 1} closes`,
  }),
  targets: (panel, params) => {
    const targets: WeightTargets = { days: [], weights: [] };
    const { dates, views, barAt } = panel;
    if (params.top > views.length) {
      throw new StrategyParamsError(
        `momentum_rotation: top (${params.top}) must be at most the number of symbols (${views.length})`,
      );
    }
    const scores = new Float64Array(views.length);
    // The last day of the data is not a rebalance day: nothing could be filled after it.
    for (let t = 0; t + 1 < dates.length; t++) {
      if ((dates[t] as string).slice(0, 7) === (dates[t + 1] as string).slice(0, 7)) continue;
      let ranked = 0;
      for (let j = 0; j < views.length; j++) {
        const i = (barAt[j] as Int32Array)[t] as number;
        const closes = (views[j] as (typeof views)[number]).adjClose;
        if (i < params.lookback) {
          scores[j] = Number.NaN;
          continue;
        }
        scores[j] = (closes[i] as number) / (closes[i - params.lookback] as number) - 1;
        ranked++;
      }
      if (ranked === 0) continue;
      const order = [...scores.keys()]
        .filter((j) => !Number.isNaN(scores[j] as number))
        // Ties broken by symbol order, so the run is deterministic.
        .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
        .slice(0, params.top);
      const weights = new Float64Array(views.length);
      for (const j of order) weights[j] = 1 / params.top;
      targets.days.push(t);
      targets.weights.push(weights);
    }
    return targets;
  },
};
