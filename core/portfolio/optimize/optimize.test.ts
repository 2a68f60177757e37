/** optimizePortfolio's quadratic objectives, certified by the KKT conditions of each problem. */
import { describe, expect, it } from 'vitest';
import type { Estimate, ReturnsMatrix } from '../types.js';
import { optimizePortfolio } from './optimize.js';
import {
  factorEstimate,
  type KktProblem,
  type KktReport,
  type KktRow,
  kktCheck,
} from './test-support.js';
import type { PortfolioConstraints, PortfolioRequest, PortfolioResult } from './types.js';

const weightsOf = (est: Estimate, result: PortfolioResult) =>
  Float64Array.from(est.symbols, (s) => result.weights[s] as number);

function quad(est: Estimate, w: Float64Array) {
  const n = w.length;
  let variance = 0;
  let ret = 0;
  for (let i = 0; i < n; i++) {
    ret += (est.mu[i] as number) * (w[i] as number);
    for (let j = 0; j < n; j++)
      variance += (w[i] as number) * (est.cov[i * n + j] as number) * (w[j] as number);
  }
  return { variance, ret };
}

/**
 * The KKT problem a request's answer must solve: min ½w'Σw − c'w over the request's constraints,
 * with c = 0 (min variance), μ/λ (mean-variance), or t*μ with t* = σ²/(μ'w − r_f) for max Sharpe
 * (the Sharpe ratio is pseudo-concave where the excess return is positive, so a KKT point of this
 * problem is its global maximiser); target return/volatility add the row μ'w = μ'w*.
 */
function kktOf(request: PortfolioRequest, w: Float64Array): KktReport {
  const est = request.estimate;
  const n = est.symbols.length;
  const con: PortfolioConstraints = request.constraints ?? {};
  const perAsset = (spec: number | Record<string, number> | undefined, fallback: number) =>
    Float64Array.from(est.symbols, (s) =>
      spec === undefined ? fallback : typeof spec === 'number' ? spec : (spec[s] ?? fallback),
    );
  const lower = perAsset(con.minWeight, 0);
  const upper = perAsset(con.maxWeight, 1);
  const rows: KktRow[] = [{ a: new Float64Array(n).fill(1), b: 1, kind: 'eq' }];
  if (con.sectors && con.sectorCaps !== undefined) {
    for (const sector of new Set(Object.values(con.sectors))) {
      const cap = typeof con.sectorCaps === 'number' ? con.sectorCaps : con.sectorCaps[sector];
      if (cap === undefined) continue;
      rows.push({
        a: Float64Array.from(est.symbols, (s) => (con.sectors?.[s] === sector ? 1 : 0)),
        b: cap,
        kind: 'le',
      });
    }
  }
  const { variance, ret } = quad(est, w);
  const rf = request.riskFreeRate ?? 0;
  let c = new Float64Array(n);
  if (request.objective === 'mean_variance') c = est.mu.map((m) => m / (request.riskAversion ?? 1));
  if (request.objective === 'max_sharpe') c = est.mu.map((m) => (m * variance) / (ret - rf));
  if (request.objective === 'target_return' || request.objective === 'target_volatility') {
    rows.push({ a: est.mu, b: ret, kind: 'eq' });
  }
  const problem: KktProblem = { n, Q: est.cov, c, lower, upper, rows };
  if (con.maxTurnover !== undefined) {
    problem.turnover = {
      z: Float64Array.from(est.symbols, (s) => con.currentWeights?.[s] ?? 0),
      limit: con.maxTurnover,
    };
  }
  return kktCheck(problem, w);
}

function expectKkt(report: KktReport, tol = 1e-11) {
  expect(report.primal).toBeLessThan(tol);
  expect(report.stationarity).toBeLessThan(tol);
  expect(report.dualSign).toBeLessThan(tol);
  expect(report.complementarity).toBeLessThan(tol);
}

const est = factorEstimate(40, 4, 3);
const sectors: Record<string, string> = {};
est.symbols.forEach((s, i) => {
  sectors[s] = ['Tech', 'Energy', 'Health', 'Utilities'][i % 4] as string;
});
const current: Record<string, number> = {};
est.symbols.forEach((s, i) => {
  if (i < 10) current[s] = 0.1; // 0.3 / 0.3 / 0.2 / 0.2 across the four sectors
});

const constraintSets: [string, PortfolioConstraints][] = [
  ['long-only', {}],
  ['max weight 0.08', { maxWeight: 0.08 }],
  ['caps 0.1 and sector caps 0.3', { maxWeight: 0.1, sectors, sectorCaps: 0.3 }],
  [
    'bounded shorts and sector caps',
    { minWeight: -0.05, maxWeight: 0.15, sectors, sectorCaps: 0.35 },
  ],
  [
    'turnover 0.4 from a 10-asset book',
    { maxWeight: 0.12, currentWeights: current, maxTurnover: 0.4 },
  ],
  [
    'everything at once',
    {
      minWeight: -0.03,
      maxWeight: 0.12,
      sectors,
      sectorCaps: 0.3,
      currentWeights: current,
      maxTurnover: 0.6,
    },
  ],
];

describe('optimizePortfolio: KKT certificates', () => {
  for (const [name, constraints] of constraintSets) {
    for (const objective of [
      'min_variance',
      'mean_variance',
      'max_sharpe',
      'target_return',
    ] as const) {
      it(`${objective} with ${name}`, () => {
        const request: PortfolioRequest = {
          estimate: est,
          objective,
          riskAversion: 10,
          targetReturn: 0.17,
          riskFreeRate: objective === 'max_sharpe' ? 0.02 : undefined,
          constraints,
        };
        const result = optimizePortfolio(request);
        const w = weightsOf(est, result);
        expectKkt(kktOf(request, w));
        if (objective === 'target_return') expect(result.expectedReturn).toBeCloseTo(0.17, 12);
        if (constraints.maxTurnover !== undefined) {
          const turnover = est.symbols.reduce(
            (s, sym, i) => s + Math.abs((w[i] as number) - (current[sym] ?? 0)),
            0,
          );
          expect(turnover).toBeLessThanOrEqual(constraints.maxTurnover + 1e-12);
        }
      });
    }
  }

  it('target_volatility meets the target on the efficient side (multiplier of μ′w ≤ 0)', () => {
    for (const [, constraints] of constraintSets) {
      const request: PortfolioRequest = {
        estimate: est,
        objective: 'target_volatility',
        targetVolatility: 0.07,
        constraints,
      };
      const result = optimizePortfolio(request);
      expect(result.volatility).toBeCloseTo(0.07, 12);
      const report = kktOf(request, weightsOf(est, result));
      expectKkt(report);
      // Stationarity Σw + ν₁·1 + ν_μ·μ = 0: the return multiplier is −t ≤ 0 on the efficient branch.
      expect(report.nu[report.nu.length - 1]).toBeLessThanOrEqual(1e-12);
    }
  });

  it('max_sharpe: the homogenised path and the frontier search agree', () => {
    const homogenised = optimizePortfolio({
      estimate: est,
      objective: 'max_sharpe',
      riskFreeRate: 0.01,
    });
    // A max weight just under 1 that never binds forces the frontier search.
    const searched = optimizePortfolio({
      estimate: est,
      objective: 'max_sharpe',
      riskFreeRate: 0.01,
      constraints: { maxWeight: 0.99 },
    });
    expect(homogenised.solver.method).toMatch(/homogenised/);
    expect(searched.solver.method).toMatch(/frontier/);
    for (const s of est.symbols)
      expect(searched.weights[s]).toBeCloseTo(homogenised.weights[s] as number, 11);
    expect(searched.sharpe).toBeCloseTo(homogenised.sharpe as number, 12);
  });

  it('max_sharpe beats every frontier point and every single asset', () => {
    const result = optimizePortfolio({
      estimate: est,
      objective: 'max_sharpe',
      frontierPoints: 25,
    });
    const best = result.sharpe as number;
    for (const point of result.frontier)
      expect(point.sharpe as number).toBeLessThanOrEqual(best + 1e-12);
    est.symbols.forEach((_, i) => {
      expect((est.mu[i] as number) / Math.sqrt(est.cov[i * 40 + i] as number)).toBeLessThanOrEqual(
        best,
      );
    });
  });
});

describe('optimizePortfolio: frontier', () => {
  it('spans min variance to max return evenly, with rising volatility', () => {
    const constraints: PortfolioConstraints = { maxWeight: 0.1, sectors, sectorCaps: 0.3 };
    const result = optimizePortfolio({
      estimate: est,
      objective: 'min_variance',
      frontierPoints: 12,
      constraints,
    });
    const { frontier } = result;
    expect(frontier).toHaveLength(12);
    expect(frontier[0]?.expectedReturn).toBeCloseTo(result.expectedReturn, 12);
    expect(frontier[0]?.volatility).toBeCloseTo(result.volatility, 12);
    const step = (frontier[11]?.expectedReturn as number) - (frontier[0]?.expectedReturn as number);
    frontier.forEach((p, j) => {
      expect(p.expectedReturn).toBeCloseTo(
        (frontier[0]?.expectedReturn as number) + (step * j) / 11,
        12,
      );
      if (j > 0) expect(p.volatility).toBeGreaterThan(frontier[j - 1]?.volatility as number);
    });
    // Each point is the target-return optimum, and the last the highest return the caps allow.
    for (const j of [3, 7, 11]) {
      const p = frontier[j] as { expectedReturn: number; volatility: number };
      const alone = optimizePortfolio({
        estimate: est,
        objective: 'target_return',
        targetReturn: p.expectedReturn,
        constraints,
      });
      expect(alone.volatility).toBeCloseTo(p.volatility, 11);
    }
    expect(() =>
      optimizePortfolio({
        estimate: est,
        objective: 'target_return',
        targetReturn: (frontier[11]?.expectedReturn as number) + 1e-6,
        constraints,
      }),
    ).toThrow(/highest expected return the constraints allow/);
  });
});

describe('optimizePortfolio: result figures', () => {
  it('reports consistent return, volatility, Sharpe and risk contributions', () => {
    const result = optimizePortfolio({
      estimate: est,
      objective: 'mean_variance',
      riskAversion: 5,
      riskFreeRate: 0.03,
    });
    const w = weightsOf(est, result);
    const { variance, ret } = quad(est, w);
    expect(result.expectedReturn).toBeCloseTo(ret, 14);
    expect(result.volatility).toBeCloseTo(Math.sqrt(variance), 14);
    expect(result.sharpe).toBeCloseTo((ret - 0.03) / Math.sqrt(variance), 12);
    const rc = Object.values(result.riskContributions);
    expect(rc.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 13);
    expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
    expect(result.frontier).toEqual([]);
    expect(result.bootstrap).toBeNull();
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('notes binding sector caps and the turnover used', () => {
    const result = optimizePortfolio({
      estimate: est,
      objective: 'mean_variance',
      riskAversion: 10,
      constraints: {
        maxWeight: 0.12,
        sectors,
        sectorCaps: 0.3,
        currentWeights: current,
        maxTurnover: 0.6,
      },
    });
    expect(result.notes.join('\n')).toMatch(/binding at the optimum: .*(sector|turnover)/);
    expect(result.notes.join('\n')).toMatch(/turnover against the current weights: /);
  });
});

describe('optimizePortfolio: max holdings (heuristic)', () => {
  it('keeps at most K assets, says so, and re-solves optimally on those K', () => {
    const free = optimizePortfolio({ estimate: est, objective: 'min_variance' });
    const heldFree = Object.values(free.weights).filter((w) => w !== 0).length;
    expect(heldFree).toBeGreaterThan(10);
    const request: PortfolioRequest = {
      estimate: est,
      objective: 'min_variance',
      constraints: { maxHoldings: 10 },
    };
    const result = optimizePortfolio(request);
    const kept = est.symbols.filter((s) => result.weights[s] !== 0);
    expect(kept.length).toBeLessThanOrEqual(10);
    expect(result.notes.join('\n')).toMatch(/max_holdings is a heuristic/);
    // Optimal over the kept assets: the KKT conditions hold with the others pinned at 0.
    const w = weightsOf(est, result);
    const maxWeight: Record<string, number> = {};
    for (const s of est.symbols) if (!kept.includes(s)) maxWeight[s] = 0;
    expectKkt(kktOf({ ...request, constraints: { maxWeight } }, w));
    expect(result.volatility).toBeGreaterThanOrEqual(free.volatility);
  });

  it('always keeps assets whose bounds exclude 0, then the largest of the others', () => {
    const free = optimizePortfolio({ estimate: est, objective: 'min_variance' });
    const smallest = est.symbols.filter((s) => free.weights[s] === 0)[0] as string;
    const result = optimizePortfolio({
      estimate: est,
      objective: 'min_variance',
      constraints: { maxHoldings: 5, minWeight: { [smallest]: 0.02 } },
    });
    expect(result.weights[smallest]).toBeGreaterThanOrEqual(0.02);
    expect(Object.values(result.weights).filter((w) => w !== 0).length).toBeLessThanOrEqual(5);
  });

  it('says when the limit does not bind', () => {
    const result = optimizePortfolio({
      estimate: est,
      objective: 'mean_variance',
      riskAversion: 10,
      constraints: { maxHoldings: 39 },
    });
    expect(result.notes.join('\n')).toMatch(
      /max holdings 39: the optimum holds \d+ assets, so the limit does not bind/,
    );
  });
});

describe('optimizePortfolio: turnover by hand', () => {
  it('clips the two-asset minimum-variance weight to the turnover band', () => {
    // Unconstrained w₁ = (σ₂² − σ₁₂)/(σ₁² + σ₂² − 2σ₁₂) ≈ 0.7391; from 50/50, turnover 2|w₁ − ½| ≤ 0.2.
    const two: Estimate = {
      symbols: ['A', 'B'],
      mu: Float64Array.from([0.1, 0.1]),
      cov: Float64Array.from([0.04, 0.012, 0.012, 0.09]),
    };
    const result = optimizePortfolio({
      estimate: two,
      objective: 'min_variance',
      constraints: { currentWeights: { A: 0.5, B: 0.5 }, maxTurnover: 0.2 },
    });
    expect(result.weights.A).toBeCloseTo(0.6, 15);
    expect(result.weights.B).toBeCloseTo(0.4, 15);
    const loose = optimizePortfolio({
      estimate: two,
      objective: 'min_variance',
      constraints: { currentWeights: { A: 0.5, B: 0.5 }, maxTurnover: 1 },
    });
    expect(loose.weights.A).toBeCloseTo((0.09 - 0.012) / (0.04 + 0.09 - 0.024), 15);
  });

  it('counts holdings outside the estimate as sold', () => {
    const two: Estimate = {
      symbols: ['A', 'B'],
      mu: Float64Array.from([0.1, 0.1]),
      cov: Float64Array.from([0.04, 0.012, 0.012, 0.09]),
    };
    // 0.4 of the book is in C (not in the estimate): selling it and buying 0.4 of A or B costs 0.8
    // at least, so 0.7 is impossible and 0.85 binds (the free optimum would need 0.878).
    const request: PortfolioRequest = {
      estimate: two,
      objective: 'min_variance',
      constraints: { currentWeights: { A: 0.3, B: 0.3, C: 0.4 }, maxTurnover: 0.85 },
    };
    const result = optimizePortfolio(request);
    const turnover =
      0.4 +
      Math.abs((result.weights.A as number) - 0.3) +
      Math.abs((result.weights.B as number) - 0.3);
    expect(turnover).toBeCloseTo(0.85, 14);
    expect(result.weights.A).toBeCloseTo(0.3 + 0.4 + 0.025, 14);
    expect(() =>
      optimizePortfolio({
        ...request,
        constraints: { currentWeights: { A: 0.3, B: 0.3, C: 0.4 }, maxTurnover: 0.7 },
      }),
    ).toThrow(/turnover limit 0.7 is below 0.8, the least turnover/);
    expect(result.notes.join('\n')).toMatch(/outside the estimate \(C, 0.4 in all\) are sold/);
  });
});

describe('optimizePortfolio: bootstrap', () => {
  const T = 500;
  const returns: ReturnsMatrix = {
    symbols: [...est.symbols].reverse(), // matched by symbol, not by position
    dates: Array.from({ length: T }, (_, t) => `d${t}`),
    n: 40,
    T,
    values: new Float64Array(40 * T),
  };
  // Day t: asset i returns 0.001·((t·(i + 3)) mod 7 − 3) — bounded, varied, deterministic.
  returns.symbols.forEach((_, i) => {
    for (let t = 0; t < T; t++) returns.values[i * T + t] = 0.001 * (((t * (i + 3)) % 7) - 3);
  });

  it('is deterministic per seed, and its intervals bracket the full-sample figures', () => {
    const request: PortfolioRequest = {
      estimate: est,
      objective: 'min_variance',
      bootstrap: { returns, samples: 400, seed: 7 },
    };
    const a = optimizePortfolio(request);
    const b = optimizePortfolio(request);
    expect(a.bootstrap).toEqual(b.bootstrap);
    const c = optimizePortfolio({ ...request, bootstrap: { returns, samples: 400, seed: 8 } });
    expect(c.bootstrap).not.toEqual(a.bootstrap);
    const boot = a.bootstrap as NonNullable<PortfolioResult['bootstrap']>;
    expect(boot.samples).toBe(400);
    expect(boot.confidence).toBe(0.95);
    // The portfolio's own daily series, computed here independently.
    const daily = new Float64Array(T);
    returns.symbols.forEach((s, i) => {
      for (let t = 0; t < T; t++)
        daily[t] =
          (daily[t] as number) + (a.weights[s] as number) * (returns.values[i * T + t] as number);
    });
    const mean = daily.reduce((s, v) => s + v, 0) / T;
    const sd = Math.sqrt(daily.reduce((s, v) => s + (v - mean) ** 2, 0) / (T - 1));
    expect(boot.expectedReturn.low).toBeLessThan(mean * 252);
    expect(boot.expectedReturn.high).toBeGreaterThan(mean * 252);
    expect(boot.volatility.low).toBeLessThan(sd * Math.sqrt(252));
    expect(boot.volatility.high).toBeGreaterThan(sd * Math.sqrt(252));
    // Standard error of the annualised mean ≈ 252·sd/√T: a 95 % interval is ~±1.96 of it.
    const se = (252 * sd) / Math.sqrt(T);
    expect((boot.expectedReturn.high - boot.expectedReturn.low) / (2 * 1.96 * se)).toBeGreaterThan(
      0.8,
    );
    expect((boot.expectedReturn.high - boot.expectedReturn.low) / (2 * 1.96 * se)).toBeLessThan(
      1.2,
    );
  });

  it('collapses to a point for a constant series', () => {
    const flat: ReturnsMatrix = { ...returns, values: new Float64Array(40 * T).fill(0.001) };
    const boot = optimizePortfolio({
      estimate: est,
      objective: 'equal_weight',
      bootstrap: { returns: flat, samples: 50 },
    }).bootstrap;
    expect(boot?.expectedReturn.low).toBeCloseTo(0.252, 12);
    expect(boot?.expectedReturn.high).toBeCloseTo(0.252, 12);
    expect(boot?.volatility.high).toBeCloseTo(0, 12);
  });
});
