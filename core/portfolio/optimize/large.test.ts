/** 100- and 490-asset problems: KKT certificates, and a slow independent reference at n = 100. */
import { describe, expect, it } from 'vitest';
import type { Estimate } from '../types.js';
import { optimizePortfolio } from './optimize.js';
import { factorEstimate, type KktProblem, kktCheck } from './test-support.js';
import type { PortfolioObjective, PortfolioResult } from './types.js';

const weightsOf = (est: Estimate, result: PortfolioResult) =>
  Float64Array.from(est.symbols, (s) => result.weights[s] as number);

/** Euclidean projection onto {Σw = 1, lo ≤ w ≤ hi}: w = clip(v − τ) with τ found by bisection. */
function projectCappedSimplex(v: Float64Array, lo: number, hi: number): Float64Array {
  let a = Math.min(...v) - hi - 1;
  let b = Math.max(...v) - lo + 1;
  const sum = (tau: number) => v.reduce((s, x) => s + Math.min(hi, Math.max(lo, x - tau)), 0);
  for (let k = 0; k < 200; k++) {
    const mid = (a + b) / 2;
    if (sum(mid) > 1) a = mid;
    else b = mid;
  }
  return v.map((x) => Math.min(hi, Math.max(lo, x - (a + b) / 2)));
}

/**
 * min ½w'Σw − c'w over the capped simplex by FISTA with adaptive restart (O'Donoghue & Candès
 * 2015), step 1/L with L from power iteration: slow, simple, and shares no code with the solver.
 */
function fista(
  cov: Float64Array,
  c: Float64Array,
  n: number,
  hi: number,
  iterations: number,
): Float64Array {
  const mul = (x: Float64Array) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += (cov[i * n + j] as number) * (x[j] as number);
      out[i] = s;
    }
    return out;
  };
  let v: Float64Array = new Float64Array(n).fill(1);
  let L = 0;
  for (let k = 0; k < 200; k++) {
    const u = mul(v);
    L = Math.sqrt(u.reduce((s, x) => s + x * x, 0));
    v = u.map((x) => x / L);
  }
  L *= 1.01;
  let x: Float64Array = new Float64Array(n).fill(1 / n);
  let y: Float64Array = Float64Array.from(x);
  let t = 1;
  const f = (w: Float64Array) => {
    const q = mul(w);
    return w.reduce((s, wi, i) => s + 0.5 * wi * (q[i] as number) - (c[i] as number) * wi, 0);
  };
  let fx = f(x);
  for (let k = 0; k < iterations; k++) {
    const g = mul(y);
    const next = projectCappedSimplex(
      y.map((yi, i) => yi - ((g[i] as number) - (c[i] as number)) / L),
      0,
      hi,
    );
    const fn = f(next);
    if (fn > fx) {
      t = 1; // restart the momentum
      y = Float64Array.from(x);
      continue;
    }
    const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    y = next.map((xi, i) => xi + ((t - 1) / tn) * (xi - (x[i] as number)));
    x = next;
    fx = fn;
    t = tn;
  }
  return x;
}

describe('100 assets', () => {
  const n = 100;
  const est = factorEstimate(n, 6, 2024);

  it.each([
    ['min_variance', 0],
    ['mean_variance', 10],
  ] as const)('%s (λ = %i) matches a long FISTA run, and is never worse', (objective, lambda) => {
    const result = optimizePortfolio({
      estimate: est,
      objective,
      riskAversion: lambda || undefined,
    });
    const w = weightsOf(est, result);
    const c = objective === 'mean_variance' ? est.mu.map((m) => m / lambda) : new Float64Array(n);
    const reference = fista(est.cov, c, n, 1, 3000);
    for (let i = 0; i < n; i++)
      expect(Math.abs((w[i] as number) - (reference[i] as number))).toBeLessThan(1e-7);
    const objectiveOf = (x: Float64Array) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        let q = 0;
        for (let j = 0; j < n; j++) q += (est.cov[i * n + j] as number) * (x[j] as number);
        s += 0.5 * (x[i] as number) * q - (c[i] as number) * (x[i] as number);
      }
      return s;
    };
    expect(objectiveOf(w)).toBeLessThanOrEqual(objectiveOf(reference) + 1e-16);
  });
});

describe.each([100, 490])('%i assets', (n) => {
  const est = factorEstimate(n, 8, n + 7);
  const objectives: [PortfolioObjective, number | undefined][] = [
    ['min_variance', undefined],
    ['mean_variance', 10],
    ['max_sharpe', undefined],
  ];
  for (const [objective, riskAversion] of objectives) {
    for (const maxWeight of [1, 0.05]) {
      it(`${objective} with max weight ${maxWeight} satisfies the KKT conditions`, () => {
        const result = optimizePortfolio({
          estimate: est,
          objective,
          riskAversion,
          constraints: { maxWeight },
        });
        const w = weightsOf(est, result);
        let variance = 0;
        let ret = 0;
        for (let i = 0; i < n; i++) {
          ret += (est.mu[i] as number) * (w[i] as number);
          for (let j = 0; j < n; j++)
            variance += (w[i] as number) * (est.cov[i * n + j] as number) * (w[j] as number);
        }
        const c =
          objective === 'mean_variance'
            ? est.mu.map((m) => m / 10)
            : objective === 'max_sharpe'
              ? est.mu.map((m) => (m * variance) / ret)
              : new Float64Array(n);
        const problem: KktProblem = {
          n,
          Q: est.cov,
          c,
          lower: new Float64Array(n),
          upper: new Float64Array(n).fill(maxWeight),
          rows: [{ a: new Float64Array(n).fill(1), b: 1, kind: 'eq' }],
        };
        const report = kktCheck(problem, w);
        expect(report.primal).toBeLessThan(1e-13);
        expect(report.stationarity).toBeLessThan(1e-12);
        expect(report.dualSign).toBeLessThan(1e-12);
        expect(report.complementarity).toBeLessThan(1e-12);
      });
    }
  }
});
