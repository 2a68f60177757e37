/** Objective: the total return over the whole run, higher is better. */
import type { Objective } from './objective.js';

/** End equity over start equity, minus one; unlike CAGR it does not depend on the run's length. */
export const totalReturn: Objective = {
  name: 'total_return',
  description: 'total return over the run (0.12 = +12 %); higher is better',
  direction: 'maximize',
  value: (metrics) => metrics.totalReturn,
};
