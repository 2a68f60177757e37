/** Objective: the depth of the maximum drawdown, lower is better. */
import type { Objective } from './objective.js';

/**
 * The shallowest worst fall. On its own it favours doing nothing (a strategy that never trades
 * has no drawdown), so pair it with a return objective in a multi-objective search.
 */
export const maxDrawdown: Objective = {
  name: 'max_drawdown',
  description: 'depth of the maximum drawdown (0.25 = −25 %); lower is better',
  direction: 'minimize',
  value: (metrics) => metrics.maxDrawdown.depth,
};
