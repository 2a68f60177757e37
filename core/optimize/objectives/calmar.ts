/** Objective: the Calmar ratio (CAGR over maximum drawdown), higher is better. */
import type { Objective } from './objective.js';

/** Growth per unit of worst fall: rewards strategies that earn without deep drawdowns. */
export const calmar: Objective = {
  name: 'calmar',
  description: 'Calmar ratio (CAGR / maximum drawdown); higher is better',
  direction: 'maximize',
  value: (metrics) => metrics.calmar,
};
