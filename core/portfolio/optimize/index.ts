/**
 * Portfolio optimizers: `optimizePortfolio` turns an Estimate (μ, Σ) and constraints into weights.
 * See ./optimize.ts for the method behind each objective and ./active-set.ts for the QP solver.
 */
export { ActiveSetQp, type QpProblem, type QpRow } from './active-set.js';
export { PortfolioInfeasibleError, PortfolioInputError, PortfolioSolverError } from './errors.js';
export { optimizePortfolio } from './optimize.js';
export {
  type FrontierPoint,
  type Interval,
  PORTFOLIO_OBJECTIVES,
  type PortfolioBootstrap,
  type PortfolioBootstrapRequest,
  type PortfolioConstraints,
  type PortfolioObjective,
  type PortfolioRequest,
  type PortfolioResult,
} from './types.js';
