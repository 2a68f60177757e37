/** Objective: the annualised Sharpe ratio, higher is better. */
import type { Objective } from './objective.js';

/** Risk-adjusted return per unit of total volatility. */
export const sharpe: Objective = {
  name: 'sharpe',
  description: 'annualised Sharpe ratio (return per unit of volatility); higher is better',
  direction: 'maximize',
  value: (metrics) => metrics.sharpe,
};
