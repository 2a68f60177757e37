/** The errors a research command reports as bad input (one line, exit code 2) rather than as failures. */
import { BacktestInputError } from '../core/engine/backtest.js';
import { EngineConfigError } from '../core/engine/config.js';
import { ExactRangeError } from '../core/engine/ticks.js';
import { UnknownObjectiveError } from '../core/optimize/objectives/index.js';
import { ParamSpecError } from '../core/optimize/param-space.js';
import { EstimatorInputError } from '../core/portfolio/estimators/returns.js';
import {
  PortfolioInfeasibleError,
  PortfolioInputError,
  PortfolioSolverError,
} from '../core/portfolio/optimize/index.js';
import { RebalanceInputError } from '../core/rebalance/types.js';
import { ScreenRequestError } from '../core/screening/index.js';
import { StrategyParamsError } from '../core/strategies/params.js';
import { FileRejected, formatProblem } from '../store/market-data/bar-file.js';
import { MissingDataError } from '../store/market-data/load-series.js';
import { reportFailure } from './errors.js';
import { UsageError } from './run-options.js';
import { ToolRefusal } from './run-tool.js';

const INPUT_ERRORS = [
  UsageError,
  StrategyParamsError,
  EngineConfigError,
  BacktestInputError,
  ParamSpecError,
  MissingDataError,
  ExactRangeError,
  UnknownObjectiveError,
  EstimatorInputError,
  ScreenRequestError,
  RebalanceInputError,
  PortfolioInputError,
  PortfolioInfeasibleError,
  PortfolioSolverError,
];

/** Prints `error` for `command` and returns the exit code: 2 for bad input, else reportFailure's. */
export function reportRunFailure(command: string, error: unknown): number {
  if (error instanceof FileRejected) {
    console.error(`countersign ${command}: ${formatProblem(error.problem)}`);
    return 2;
  }
  if (error instanceof ToolRefusal) {
    console.error(`countersign ${command}: ${error.message}`);
    return error.exitCode;
  }
  if (INPUT_ERRORS.some((kind) => error instanceof kind)) {
    console.error(`countersign ${command}: ${(error as Error).message}`);
    return 2;
  }
  return reportFailure(error);
}
