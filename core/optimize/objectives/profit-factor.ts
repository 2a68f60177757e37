/** Objective: the profit factor (gross profit over gross loss), higher is better. */
import type { Objective } from './objective.js';

/** Gross profit / gross loss of closed trades; null without losing trades or without trades. */
export const profitFactor: Objective = {
  name: 'profit_factor',
  description: 'profit factor (gross profit / gross loss of trades); higher is better',
  direction: 'maximize',
  value: (metrics) => metrics.profitFactor,
};
