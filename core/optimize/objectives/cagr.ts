/** Objective: compound annual growth rate, higher is better. */
import type { Objective } from './objective.js';

/** Growth per year, compounded; ignores the risk taken to get it. */
export const cagr: Objective = {
  name: 'cagr',
  description: 'compound annual growth rate; higher is better',
  direction: 'maximize',
  value: (metrics) => metrics.cagr,
};
