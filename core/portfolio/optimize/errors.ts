/** The errors the portfolio optimizers throw; every message names the bad value and what would be valid. */

/** A request is malformed: a NaN in μ or Σ, fewer than two assets, a negative risk aversion, … */
export class PortfolioInputError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'PortfolioInputError';
  }
}

/**
 * The constraints admit no portfolio (or none with the asked-for property): the message says which
 * constraints collide and by how much, e.g. "max weights sum to 0.5 < 1: the weights cannot sum to 1".
 */
export class PortfolioInfeasibleError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'PortfolioInfeasibleError';
  }
}

/**
 * The solver could not finish: a covariance that is singular on the assets it needed, or an
 * iteration cap reached. Not the user's typo, but usually fixed by a better-conditioned estimate.
 */
export class PortfolioSolverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortfolioSolverError';
  }
}
