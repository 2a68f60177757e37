/** The active-set QP solver on its own: closed forms, KKT certificates, warm starts, segments. */
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../random.js';
import { ActiveSetQp, type QpProblem, type QpRow } from './active-set.js';
import { PortfolioSolverError } from './errors.js';
import { factorEstimate, kktCheck } from './test-support.js';

const budget = (n: number): QpRow => ({
  a: new Float64Array(n).fill(1),
  b: 1,
  kind: 'eq',
  label: 'budget',
});

/** Σ⁻¹v by Gaussian elimination (a reference independent of the solver's Cholesky). */
function solveDense(A: Float64Array, v: Float64Array): Float64Array {
  const n = v.length;
  const M = Array.from({ length: n }, (_, i) => [...A.subarray(i * n, i * n + n), v[i] as number]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) {
      if (Math.abs((M[r] as number[])[c] as number) > Math.abs((M[p] as number[])[c] as number))
        p = r;
    }
    [M[c], M[p]] = [M[p] as number[], M[c] as number[]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = ((M[r] as number[])[c] as number) / ((M[c] as number[])[c] as number);
      for (let k = c; k <= n; k++) {
        (M[r] as number[])[k] =
          ((M[r] as number[])[k] as number) - f * ((M[c] as number[])[k] as number);
      }
    }
  }
  return Float64Array.from(M, (row, i) => (row[n] as number) / (row[i] as number));
}

function solveFrom(problem: QpProblem, x0: Float64Array, hint: number[] = []): ActiveSetQp {
  const solver = new ActiveSetQp(problem);
  solver.start(x0, hint);
  solver.solve();
  return solver;
}

describe('ActiveSetQp closed forms', () => {
  it('finds Σ⁻¹1 / 1′Σ⁻¹1 when every weight is interior (shorts allowed)', () => {
    const { cov } = factorEstimate(12, 3, 5);
    const n = 12;
    const inv = solveDense(cov, new Float64Array(n).fill(1));
    const total = inv.reduce((s, v) => s + v, 0);
    const lower = new Float64Array(n).fill(-10);
    const upper = new Float64Array(n).fill(10);
    const x0 = new Float64Array(n);
    x0[0] = 1;
    const solver = solveFrom(
      { n, Q: cov, c: new Float64Array(n), lower, upper, rows: [budget(n)] },
      x0,
    );
    for (let i = 0; i < n; i++) expect(solver.x[i]).toBeCloseTo((inv[i] as number) / total, 13);
  });

  it('solves two assets by hand: w₁ = (σ₂² − σ₁₂)/(σ₁² + σ₂² − 2σ₁₂), then clipped by a cap', () => {
    const s1 = 0.04;
    const s2 = 0.09;
    const s12 = 0.012;
    const Q = Float64Array.from([s1, s12, s12, s2]);
    const w1 = (s2 - s12) / (s1 + s2 - 2 * s12);
    const run = (cap: number) =>
      solveFrom(
        {
          n: 2,
          Q,
          c: new Float64Array(2),
          lower: new Float64Array(2),
          upper: new Float64Array(2).fill(cap),
          rows: [budget(2)],
        },
        Float64Array.from([0.5, 0.5]),
      ).x;
    const free = run(1);
    expect(free[0]).toBeCloseTo(w1, 15);
    expect(free[1]).toBeCloseTo(1 - w1, 15);
    const capped = run(0.6); // w1 ≈ 0.739 > 0.6, so asset 1 sits at its cap
    expect(capped[0]).toBe(0.6);
    expect(capped[1]).toBeCloseTo(0.4, 15);
  });

  it('solves mean-variance for two assets by hand: w₁ = ½ + (μ₁ − μ₂)/(2λ(σ₁² + σ₂² − 2σ₁₂)) − …', () => {
    // Unconstrained in w₁ (w₂ = 1 − w₁): minimise λ/2·var − μ'w ⇒ w₁ = (λ(σ₂² − σ₁₂) + μ₁ − μ₂)/(λ·d).
    const [s1, s2, s12, m1, m2, lambda] = [0.04, 0.09, 0.012, 0.1, 0.14, 4];
    const d = s1 + s2 - 2 * s12;
    const w1 = (lambda * (s2 - s12) + m1 - m2) / (lambda * d);
    const x = solveFrom(
      {
        n: 2,
        Q: Float64Array.from([s1, s12, s12, s2]),
        c: Float64Array.from([m1 / lambda, m2 / lambda]),
        lower: new Float64Array(2),
        upper: new Float64Array(2).fill(1),
        rows: [budget(2)],
      },
      Float64Array.from([1, 0]),
    ).x;
    expect(x[0]).toBeCloseTo(w1, 15);
  });
});

describe('ActiveSetQp KKT certificates on random problems', () => {
  const cases = [
    { n: 8, seed: 1 },
    { n: 25, seed: 2 },
    { n: 60, seed: 3 },
  ];
  it.each(cases)('box + budget + two coupled rows, n = $n', ({ n, seed }) => {
    const est = factorEstimate(n, 3, seed);
    const random = createRandom(seed + 100);
    const lower = Float64Array.from({ length: n }, () => -0.02 * random.next());
    const upper = Float64Array.from({ length: n }, () => 0.3 + 0.2 * random.next());
    const groupA = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const tilt = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -0.5));
    const rows: QpRow[] = [
      budget(n),
      { a: groupA, b: 0.5, kind: 'le', label: 'group' },
      { a: tilt, b: 0.1, kind: 'le', label: 'tilt' },
    ];
    const c = Float64Array.from(est.mu, (m) => m / 3);
    // A feasible start: raise odd assets (tilt −0.5 keeps that row slack) to their upper bounds.
    const x0 = Float64Array.from(lower);
    let rest = 1 - lower.reduce((s, v) => s + v, 0);
    for (let i = 1; i < n && rest > 0; i += 2) {
      const add = Math.min(rest, (upper[i] as number) - (lower[i] as number));
      x0[i] = (x0[i] as number) + add;
      rest -= add;
    }
    const solver = solveFrom({ n, Q: est.cov, c, lower, upper, rows }, x0);
    const report = kktCheck({ n, Q: est.cov, c, lower, upper, rows }, solver.x);
    expect(report.primal).toBeLessThan(1e-13);
    expect(report.stationarity).toBeLessThan(1e-12);
    expect(report.dualSign).toBeLessThan(1e-12);
    expect(report.complementarity).toBeLessThan(1e-12);
  });

  it('is exact on the |x − z| turnover row, including variables stopped at their kink', () => {
    const n = 30;
    const est = factorEstimate(n, 4, 9);
    const z = new Float64Array(n);
    for (let i = 0; i < n; i += 2) z[i] = 1 / 15; // current portfolio: 15 assets at 1/15
    const lower = new Float64Array(n);
    const upper = new Float64Array(n).fill(0.12);
    const limit = 0.35;
    const kinked = Uint8Array.from(z, (v) => (v > 0 && v < 0.12 ? 1 : 0));
    const a = Float64Array.from(z, (v) => (v <= 0 ? 1 : 0));
    const rows: QpRow[] = [budget(n), { a, b: limit, kind: 'le', label: 'turnover' }];
    const c = Float64Array.from(est.mu, (m) => m / 2);
    const solver = solveFrom(
      { n, Q: est.cov, c, lower, upper, rows, absolute: { row: 1, at: z, kinked } },
      Float64Array.from(z),
    );
    const turnover = solver.x.reduce((s, v, i) => s + Math.abs(v - (z[i] as number)), 0);
    expect(turnover).toBeLessThanOrEqual(limit + 1e-14);
    expect(turnover).toBeCloseTo(limit, 12); // the limit binds here
    const atKink = [...solver.x].filter((v, i) => (z[i] as number) > 0 && v === z[i]).length;
    expect(atKink).toBeGreaterThan(0);
    const report = kktCheck(
      {
        n,
        Q: est.cov,
        c,
        lower,
        upper,
        rows: [{ a: new Float64Array(n).fill(1), b: 1, kind: 'eq' }],
        turnover: { z, limit },
      },
      solver.x,
    );
    expect(report.primal).toBeLessThan(1e-13);
    expect(report.stationarity).toBeLessThan(1e-12);
    expect(report.dualSign).toBeLessThan(1e-12);
  });
});

describe('ActiveSetQp warm starts and segments', () => {
  const n = 40;
  const est = factorEstimate(n, 4, 21);
  const problem = (): QpProblem => ({
    n,
    Q: est.cov,
    c: new Float64Array(n),
    lower: new Float64Array(n),
    upper: new Float64Array(n).fill(0.15),
    rows: [budget(n)],
  });
  const start = () => {
    const x0 = new Float64Array(n);
    for (let i = 0; i < 7; i++) x0[i] = 1 / 7;
    return x0;
  };

  it('re-solves after setLinear to the same point as a cold start', () => {
    const warm = solveFrom(problem(), start());
    const c = Float64Array.from(est.mu, (m) => m * 0.05);
    warm.setLinear(c);
    warm.solve();
    const cold = solveFrom({ ...problem(), c }, start());
    for (let i = 0; i < n; i++) expect(warm.x[i]).toBeCloseTo(cold.x[i] as number, 13);
  });

  it('predicts the optimum along c + Δ·μ exactly inside its segment', () => {
    const solver = solveFrom(
      { ...problem(), c: Float64Array.from(est.mu, (m) => m * 0.05) },
      start(),
    );
    const seg = solver.segment(est.mu);
    expect(seg.lo).toBeLessThan(0);
    expect(seg.hi).toBeGreaterThan(0);
    const delta = seg.hi / 2;
    const moved = solveFrom(
      { ...problem(), c: Float64Array.from(est.mu, (m) => m * (0.05 + delta)) },
      start(),
    );
    for (let i = 0; i < n; i++) {
      expect(moved.x[i]).toBeCloseTo((seg.x[i] as number) + delta * (seg.beta[i] as number), 12);
    }
  });
});

describe('ActiveSetQp failures', () => {
  it('names the assets when the covariance is singular on the free set', () => {
    // Three assets, the third a copy of the first: Q is singular once both are free.
    const Q = Float64Array.from([0.04, 0.01, 0.04, 0.01, 0.09, 0.01, 0.04, 0.01, 0.04]);
    const solver = new ActiveSetQp({
      n: 3,
      Q,
      c: new Float64Array(3),
      lower: new Float64Array(3).fill(-1),
      upper: new Float64Array(3).fill(1),
      rows: [budget(3)],
      names: ['AAA', 'BBB', 'CCC'],
    });
    expect(() => {
      solver.start(Float64Array.from([0.4, 0.3, 0.3]));
      solver.solve();
    }).toThrow(PortfolioSolverError);
    expect(() => {
      const again = new ActiveSetQp({
        n: 3,
        Q,
        c: new Float64Array(3),
        lower: new Float64Array(3).fill(-1),
        upper: new Float64Array(3).fill(1),
        rows: [budget(3)],
        names: ['AAA', 'BBB', 'CCC'],
      });
      again.start(Float64Array.from([0.4, 0.3, 0.3]));
    }).toThrow(/singular.*CCC.*AAA/);
  });
});
