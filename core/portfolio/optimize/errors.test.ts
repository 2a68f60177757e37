/** Bad and impossible requests: the error class, and a message that names the value and the fix. */
import { describe, expect, it } from 'vitest';
import type { Estimate } from '../types.js';
import { PortfolioInfeasibleError, PortfolioInputError, PortfolioSolverError } from './errors.js';
import { optimizePortfolio } from './optimize.js';
import { factorEstimate } from './test-support.js';
import type { PortfolioRequest } from './types.js';

const est = factorEstimate(6, 2, 1);

function failure(request: PortfolioRequest): Error {
  try {
    optimizePortfolio(request);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected optimizePortfolio to throw');
}

function expectError(
  request: PortfolioRequest,
  kind: new (message: string) => Error,
  message: RegExp | string,
) {
  const error = failure(request);
  expect(error).toBeInstanceOf(kind);
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
}

describe('input errors', () => {
  it('needs at least two assets', () => {
    const one: Estimate = {
      symbols: ['AAPL'],
      mu: Float64Array.of(0.1),
      cov: Float64Array.of(0.04),
    };
    expectError(
      { estimate: one, objective: 'min_variance' },
      PortfolioInputError,
      'a portfolio needs at least two assets, got 1 (AAPL)',
    );
  });

  it('names a NaN in μ or Σ, a non-positive variance, an asymmetric Σ and a duplicate symbol', () => {
    const mu = Float64Array.from(est.mu);
    mu[2] = Number.NaN;
    expectError(
      { estimate: { ...est, mu }, objective: 'max_sharpe' },
      PortfolioInputError,
      /expected return of S002 is NaN/,
    );
    const cov = Float64Array.from(est.cov);
    cov[3 * 6 + 1] = Number.NaN;
    expectError(
      { estimate: { ...est, cov }, objective: 'min_variance' },
      PortfolioInputError,
      /covariance of S003 and S001 is NaN/,
    );
    const zero = Float64Array.from(est.cov);
    zero[4 * 6 + 4] = 0;
    expectError(
      { estimate: { ...est, cov: zero }, objective: 'min_variance' },
      PortfolioInputError,
      /variance of S004 is 0/,
    );
    const skew = Float64Array.from(est.cov);
    skew[5 * 6 + 0] = (skew[5 * 6 + 0] as number) + 0.01;
    expectError(
      { estimate: { ...est, cov: skew }, objective: 'min_variance' },
      PortfolioInputError,
      /not symmetric: \(S005, S000\)/,
    );
    expectError(
      { estimate: { ...est, symbols: ['A', 'B', 'C', 'A', 'E', 'F'] }, objective: 'min_variance' },
      PortfolioInputError,
      'symbol A appears twice in the estimate',
    );
    expectError(
      { estimate: { ...est, mu: est.mu.slice(0, 5) }, objective: 'min_variance' },
      PortfolioInputError,
      /mu\) must be a Float64Array of 6 values, one per symbol, got 5/,
    );
  });

  it('rejects a non-positive risk aversion and missing or bad targets', () => {
    expectError(
      { estimate: est, objective: 'mean_variance', riskAversion: -1 },
      PortfolioInputError,
      'risk aversion -1 is not valid; use a number > 0 (e.g. 10)',
    );
    expectError(
      { estimate: est, objective: 'mean_variance', riskAversion: 0 },
      PortfolioInputError,
      /risk aversion 0 is not valid/,
    );
    expectError(
      { estimate: est, objective: 'target_return' },
      PortfolioInputError,
      /target_return needs targetReturn/,
    );
    expectError(
      { estimate: est, objective: 'target_volatility', targetVolatility: -0.1 },
      PortfolioInputError,
      /target volatility -0.1 is not valid/,
    );
    expectError(
      { estimate: est, objective: 'sharpest' as PortfolioRequest['objective'] },
      PortfolioInputError,
      /objective "sharpest" is not known; use one of min_variance, max_sharpe/,
    );
  });

  it('names bad constraints', () => {
    expectError(
      {
        estimate: est,
        objective: 'min_variance',
        constraints: { minWeight: { S001: 0.3 }, maxWeight: { S001: 0.2 } },
      },
      PortfolioInputError,
      /min weight 0.3 > max weight 0.2 for S001/,
    );
    expectError(
      { estimate: est, objective: 'min_variance', constraints: { maxWeight: { MSFT: 0.2 } } },
      PortfolioInputError,
      'max weight for MSFT: MSFT is not among the 6 assets of the estimate',
    );
    expectError(
      { estimate: est, objective: 'min_variance', constraints: { sectorCaps: 0.3 } },
      PortfolioInputError,
      /sector caps need sectors/,
    );
    expectError(
      { estimate: est, objective: 'min_variance', constraints: { maxTurnover: -0.1 } },
      PortfolioInputError,
      /max turnover -0.1 is negative/,
    );
    expectError(
      { estimate: est, objective: 'min_variance', constraints: { maxHoldings: 0 } },
      PortfolioInputError,
      'max holdings must be a whole number ≥ 1, got 0',
    );
  });
});

describe('infeasible requests', () => {
  const fifty = factorEstimate(50, 2, 3);

  it('explains bounds that cannot sum to 1', () => {
    expectError(
      { estimate: fifty, objective: 'min_variance', constraints: { maxWeight: 0.01 } },
      PortfolioInfeasibleError,
      'max weight 0.01 × 50 assets = 0.5 < 1: the weights cannot sum to 1; raise the max weight to at least 0.02 or add assets',
    );
    expectError(
      { estimate: est, objective: 'hrp', constraints: { minWeight: 0.2 } },
      PortfolioInfeasibleError,
      /min weight 0.2 × 6 assets = 1.2 > 1: the weights cannot sum to 1; lower the min weights to at most 0.166667/,
    );
    expectError(
      {
        estimate: est,
        objective: 'min_variance',
        constraints: { minWeight: { S000: 0.7, S001: 0.5 } },
      },
      PortfolioInfeasibleError,
      /bounds: min weights sum to 1.2 > 1/,
    );
  });

  it('explains sector caps that cannot hold the budget', () => {
    const sectors = Object.fromEntries(est.symbols.map((s, i) => [s, i < 3 ? 'Tech' : 'Energy']));
    expectError(
      { estimate: est, objective: 'min_variance', constraints: { sectors, sectorCaps: 0.3 } },
      PortfolioInfeasibleError,
      /sector caps allow at most 0.6 < 1 in all over the sectors present \(caps: Tech 0.3, Energy 0.3\)/,
    );
    expectError(
      {
        estimate: est,
        objective: 'min_variance',
        constraints: { sectors, sectorCaps: { Tech: 0.1 }, minWeight: 0.05 },
      },
      PortfolioInfeasibleError,
      /sector Tech: its min weights sum to 0.15 > its cap 0.1/,
    );
  });

  it('explains targets out of reach', () => {
    const best = Math.max(...est.mu);
    expectError(
      { estimate: est, objective: 'target_return', targetReturn: best + 0.1 },
      PortfolioInfeasibleError,
      new RegExp(
        `target return ${Number((best + 0.1).toPrecision(6))} is above ${Number(best.toPrecision(6))}, the highest expected return the constraints allow`,
      ),
    );
    const worst = Math.min(...est.mu);
    expectError(
      { estimate: est, objective: 'target_return', targetReturn: worst - 0.1 },
      PortfolioInfeasibleError,
      /is below .*, the lowest expected return the constraints allow/,
    );
    expectError(
      { estimate: est, objective: 'target_volatility', targetVolatility: 0.01 },
      PortfolioInfeasibleError,
      /target volatility 0.01 is below .*, the volatility of the minimum-variance portfolio/,
    );
  });

  it('refuses max_sharpe when no excess return is possible', () => {
    expectError(
      { estimate: est, objective: 'max_sharpe', riskFreeRate: 5 },
      PortfolioInfeasibleError,
      /no asset has an expected return above the risk-free rate 5/,
    );
    expectError(
      { estimate: est, objective: 'max_sharpe', riskFreeRate: 5, constraints: { maxWeight: 0.5 } },
      PortfolioInfeasibleError,
      /no portfolio meeting the constraints has an expected return above the risk-free rate 5/,
    );
  });

  it('explains a turnover limit below the least turnover possible', () => {
    const current = { S000: 0.9, S001: 0.1 };
    expectError(
      {
        estimate: est,
        objective: 'min_variance',
        constraints: { maxWeight: 0.5, currentWeights: current, maxTurnover: 0.5 },
      },
      PortfolioInfeasibleError,
      /turnover limit 0.5 is below 0.8, the least turnover/,
    );
  });

  it('explains max holdings that collide with min weights', () => {
    expectError(
      {
        estimate: est,
        objective: 'min_variance',
        constraints: { maxHoldings: 2, minWeight: { S001: 0.01, S003: 0.01, S005: 0.01 } },
      },
      PortfolioInfeasibleError,
      'max holdings 2 cannot be met: 3 assets have bounds that exclude 0 (a min weight > 0 or a max weight < 0), so all must be held: S001, S003, S005; raise max holdings or relax those bounds',
    );
  });
});

describe('solver errors', () => {
  it('reports a singular covariance with the assets involved', () => {
    // Fewer days than assets: a sample covariance of rank 3 for 6 assets.
    const n = 6;
    const T = 3;
    const X = Array.from({ length: n * T }, (_, k) => Math.sin(k * 1.7) * 0.02);
    const cov = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += (X[i * T + t] as number) * (X[j * T + t] as number);
        cov[i * n + j] = s;
      }
    }
    expectError(
      { estimate: { ...est, cov }, objective: 'min_variance', constraints: { minWeight: -1 } },
      PortfolioSolverError,
      /the covariance is singular or nearly so: S00\d is \(almost\) a combination of .*Ledoit–Wolf/,
    );
  });

  it('rejects bootstrap returns without the estimate\u2019s symbols', () => {
    expectError(
      {
        estimate: est,
        objective: 'equal_weight',
        bootstrap: {
          returns: {
            symbols: ['S000'],
            dates: ['d0', 'd1'],
            n: 1,
            T: 2,
            values: Float64Array.of(0.01, 0.02),
          },
        },
      },
      PortfolioInputError,
      /bootstrap returns have no series for S001/,
    );
  });
});
