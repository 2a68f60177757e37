/**
 * Test support for the optimizers: seeded covariance matrices and an independent KKT certificate.
 * Used by the *.test.ts files beside it; nothing in the product imports it.
 */
import { createRandom } from '../../random.js';
import type { Estimate } from '../types.js';

/**
 * A seeded factor-model estimate: Σ = B B' + D with B (n × k) of N(0, 0.1²)·scale draws and D a
 * diagonal of idiosyncratic variances in [0.01, 0.06); μ_i = 0.04 + 0.5·σ_i + 0.05·z_i.
 */
export function factorEstimate(n: number, k: number, seed: number): Estimate {
  const random = createRandom(seed);
  const B = new Float64Array(n * k);
  for (let i = 0; i < B.length; i++) B[i] = random.normal() * 0.1;
  const cov = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let f = 0; f < k; f++) s += (B[i * k + f] as number) * (B[j * k + f] as number);
      if (i === j) s += 0.01 + 0.05 * random.next();
      cov[i * n + j] = s;
      cov[j * n + i] = s;
    }
  }
  const mu = new Float64Array(n);
  for (let i = 0; i < n; i++)
    mu[i] = 0.04 + 0.5 * Math.sqrt(cov[i * n + i] as number) + 0.05 * random.normal();
  return {
    symbols: Array.from({ length: n }, (_, i) => `S${String(i).padStart(3, '0')}`),
    mu,
    cov,
  };
}

/** A general row of a KKT check: a'x = b or a'x ≤ b. */
export interface KktRow {
  a: Float64Array;
  b: number;
  kind: 'eq' | 'le';
}

/** A QP to certify: minimise ½x'Qx − c'x s.t. rows, bounds, and optionally Σ|x − z| ≤ limit. */
export interface KktProblem {
  n: number;
  Q: Float64Array;
  c: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  rows: KktRow[];
  turnover?: { z: Float64Array; limit: number };
}

/** The worst violation of each KKT condition (all ≥ 0; 0 is perfect). */
export interface KktReport {
  primal: number;
  stationarity: number;
  dualSign: number;
  complementarity: number;
  /** The multipliers found for the rows (eq and active le), in row order; NaN for inactive rows. */
  nu: number[];
}

/** Solves the small symmetric system A x = b (Gaussian elimination with partial pivoting). */
function solveSmall(A: number[][], b: number[]): number[] {
  const m = b.length;
  const M = A.map((row, i) => [...row, b[i] as number]);
  for (let col = 0; col < m; col++) {
    let piv = col;
    for (let r = col + 1; r < m; r++) {
      if (
        Math.abs((M[r] as number[])[col] as number) > Math.abs((M[piv] as number[])[col] as number)
      )
        piv = r;
    }
    [M[col], M[piv]] = [M[piv] as number[], M[col] as number[]];
    const pr = M[col] as number[];
    for (let r = 0; r < m; r++) {
      if (r === col) continue;
      const row = M[r] as number[];
      const f = (row[col] as number) / (pr[col] as number);
      for (let c = col; c <= m; c++) row[c] = (row[c] as number) - f * (pr[c] as number);
    }
  }
  return M.map((row, i) => (row[m] as number) / (row[i] as number));
}

/**
 * Checks x against the KKT conditions of a convex QP, independently of any solver: it finds the
 * active set from x itself (within `activeTol`), fits the row multipliers by least squares on the
 * stationarity equations of the free variables, ∇f + Σ ν_r a_r (+ π·sign(x − z)) = 0, then reports
 * primal feasibility, the stationarity residual, wrong-signed multipliers (ν ≥ 0 on ≤ rows, bound
 * multipliers of the right sign, |r_i| ≤ π at a turnover kink) and complementary slackness. A point
 * passing all of them to round-off is the global optimum (the problem is convex).
 */
export function kktCheck(problem: KktProblem, x: Float64Array, activeTol = 1e-10): KktReport {
  const { n, Q, c, lower, upper, rows, turnover } = problem;
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = -(c[i] as number);
    for (let j = 0; j < n; j++) s += (Q[i * n + j] as number) * (x[j] as number);
    g[i] = s;
  }
  let primal = 0;
  for (let i = 0; i < n; i++) {
    primal = Math.max(
      primal,
      (lower[i] as number) - (x[i] as number),
      (x[i] as number) - (upper[i] as number),
    );
  }
  const values = rows.map((row) => row.a.reduce((s, a, i) => s + a * (x[i] as number), 0));
  rows.forEach((row, r) => {
    const v = values[r] as number;
    primal = Math.max(primal, row.kind === 'eq' ? Math.abs(v - row.b) : v - row.b);
  });
  let turnoverValue = 0;
  if (turnover) {
    for (let i = 0; i < n; i++)
      turnoverValue += Math.abs((x[i] as number) - (turnover.z[i] as number));
    primal = Math.max(primal, turnoverValue - turnover.limit);
  }
  const activeRows = rows
    .map((row, r) =>
      row.kind === 'eq' || Math.abs((values[r] as number) - row.b) <= activeTol ? r : -1,
    )
    .filter((r) => r >= 0);
  const turnoverActive =
    turnover !== undefined && Math.abs(turnoverValue - turnover.limit) <= activeTol;
  const atLower = (i: number) => (x[i] as number) <= (lower[i] as number) + activeTol;
  const atUpper = (i: number) => (x[i] as number) >= (upper[i] as number) - activeTol;
  const atKink = (i: number) =>
    turnoverActive &&
    Math.abs((x[i] as number) - ((turnover as { z: Float64Array }).z[i] as number)) <= activeTol;
  const freeVars: number[] = [];
  for (let i = 0; i < n; i++) if (!atLower(i) && !atUpper(i) && !atKink(i)) freeVars.push(i);
  // Columns of the stationarity system: one per active row, plus π when turnover binds.
  const columns: ((i: number) => number)[] = activeRows.map(
    (r) => (i: number) => (rows[r] as KktRow).a[i] as number,
  );
  if (turnoverActive) {
    columns.push((i) =>
      Math.sign((x[i] as number) - ((turnover as { z: Float64Array }).z[i] as number)),
    );
  }
  const m = columns.length;
  const A: number[][] = Array.from({ length: m }, () => new Array(m).fill(0));
  const rhs: number[] = new Array(m).fill(0);
  for (const i of freeVars) {
    for (let p = 0; p < m; p++) {
      const cp = (columns[p] as (i: number) => number)(i);
      rhs[p] = (rhs[p] as number) - cp * (g[i] as number);
      for (let q = 0; q < m; q++)
        (A[p] as number[])[q] =
          ((A[p] as number[])[q] as number) + cp * (columns[q] as (i: number) => number)(i);
    }
  }
  for (let p = 0; p < m; p++) (A[p] as number[])[p] = ((A[p] as number[])[p] as number) + 1e-300;
  const mult = m > 0 ? solveSmall(A, rhs) : [];
  // The turnover term's slope for variable i: sign(x − z), or at x = z the side the bounds allow.
  const turnoverSlope = (i: number): number => {
    const d = (x[i] as number) - ((turnover as { z: Float64Array }).z[i] as number);
    if (Math.abs(d) > activeTol) return Math.sign(d);
    return atLower(i) ? 1 : atUpper(i) ? -1 : 0;
  };
  const reduced = (i: number, withTurnover: boolean): number => {
    let s = g[i] as number;
    for (let p = 0; p < activeRows.length; p++)
      s += (mult[p] as number) * (columns[p] as (i: number) => number)(i);
    if (withTurnover && turnoverActive) s += (mult[m - 1] as number) * turnoverSlope(i);
    return s;
  };
  let stationarity = 0;
  for (const i of freeVars) stationarity = Math.max(stationarity, Math.abs(reduced(i, true)));
  let dualSign = 0;
  activeRows.forEach((r, p) => {
    if ((rows[r] as KktRow).kind === 'le') dualSign = Math.max(dualSign, -(mult[p] as number));
  });
  const pi = turnoverActive ? (mult[m - 1] as number) : 0;
  if (turnoverActive) dualSign = Math.max(dualSign, -pi);
  let complementarity = 0;
  for (let i = 0; i < n; i++) {
    if (freeVars.includes(i)) continue;
    const kink = atKink(i) && !atLower(i) && !atUpper(i);
    if (kink) {
      dualSign = Math.max(dualSign, Math.abs(reduced(i, false)) - pi);
      continue;
    }
    const r = reduced(i, true);
    // At the lower bound the variable may only want to grow (r ≥ 0); at the upper, to shrink.
    if (atLower(i) && !atUpper(i)) dualSign = Math.max(dualSign, -r);
    if (atUpper(i) && !atLower(i)) dualSign = Math.max(dualSign, r);
    const gap = atLower(i)
      ? (x[i] as number) - (lower[i] as number)
      : (upper[i] as number) - (x[i] as number);
    complementarity = Math.max(complementarity, Math.abs(r * gap));
  }
  activeRows.forEach((r, p) => {
    const row = rows[r] as KktRow;
    if (row.kind === 'le')
      complementarity = Math.max(
        complementarity,
        Math.abs((mult[p] as number) * ((values[r] as number) - row.b)),
      );
  });
  const nu = rows.map((_, r) => {
    const p = activeRows.indexOf(r);
    return p >= 0 ? (mult[p] as number) : Number.NaN;
  });
  return { primal, stationarity, dualSign, complementarity, nu };
}
