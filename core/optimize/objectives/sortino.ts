/** Objective: the annualised Sortino ratio, higher is better. */
import type { Objective } from './objective.js';

/** Like Sharpe, but only downside volatility counts as risk. */
export const sortino: Objective = {
  name: 'sortino',
  description:
    'annualised Sortino ratio (return per unit of downside volatility); higher is better',
  direction: 'maximize',
  value: (metrics) => metrics.sortino,
};
