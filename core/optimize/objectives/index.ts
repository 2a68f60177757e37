/** The registry of objective plug-ins, looked up by name. */
import { cagr } from './cagr.js';
import { calmar } from './calmar.js';
import { maxDrawdown } from './max-drawdown.js';
import type { Objective } from './objective.js';
import { profitFactor } from './profit-factor.js';
import { sharpe } from './sharpe.js';
import { sortino } from './sortino.js';
import { totalReturn } from './total-return.js';

export type { Direction, Objective } from './objective.js';
export { compareValues, orientedScore } from './objective.js';

/** Every objective an optimisation can aim for, in the order help text lists them. */
export const OBJECTIVES: readonly Objective[] = [
  sharpe,
  sortino,
  cagr,
  calmar,
  totalReturn,
  maxDrawdown,
  profitFactor,
];

/** Unknown objective name; the message lists the valid ones. */
export class UnknownObjectiveError extends RangeError {
  constructor(readonly objectiveName: string) {
    super(
      `unknown objective "${objectiveName}"; valid objectives: ${OBJECTIVES.map((o) => o.name).join(', ')}`,
    );
    this.name = 'UnknownObjectiveError';
  }
}

/** The objective called `name`; throws UnknownObjectiveError listing the valid names. */
export function objectiveByName(name: string): Objective {
  const objective = OBJECTIVES.find((o) => o.name === name);
  if (!objective) throw new UnknownObjectiveError(name);
  return objective;
}
