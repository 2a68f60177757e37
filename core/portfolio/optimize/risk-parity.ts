/**
 * Equal risk contribution (risk parity): weights whose risk contributions w_i (Σw)_i / w'Σw are all
 * 1/n.
 *
 * Unbounded (long-only) case — Spinu (2013), "An algorithm for computing risk parity weights":
 * y* = argmin_{y>0} ½ y'Σy − Σ_i b_i ln y_i is unique (strictly convex) and satisfies
 * y_i (Σy)_i = b_i, so w = y* / Σ y* has contributions exactly b_i = 1/n. It is minimised by cyclical
 * coordinate descent (Griveau-Billion, Richard & Roncalli 2013): each coordinate's 1-D problem
 * Σ_ii y_i² + c_i y_i − b_i = 0, c_i = (Σy)_i − Σ_ii y_i, has the closed-form positive root
 * y_i = (−c_i + √(c_i² + 4 Σ_ii b_i)) / (2 Σ_ii); Σy is updated in O(n) per coordinate, so a
 * sweep is O(n²). Sweeps stop when max_i |RC_i − b_i| ≤ 1e-12 (relative contributions).
 *
 * With bounds l ≤ w ≤ u that the unbounded solution breaks — Richard & Roncalli (2019),
 * "Constrained risk budgeting portfolios": x(λ) = argmin ½ x'Σx − λ Σ b_i ln x_i over the box
 * [max(l, 0), u] (coordinate descent with each root clipped to the box, exact for a convex 1-D
 * problem), and λ is chosen so that Σ x(λ) = 1 (a safeguarded secant on √λ, since x scales with
 * √λ when no bound binds). At the solution every asset strictly inside its bounds has the same
 * risk contribution, λ b_i / w'Σw; assets at a bound carry less (at their max) or more (at their
 * min) — the closest thing to parity the bounds allow. Negative min weights never bind (the log
 * barrier keeps every weight positive).
 */
import { PortfolioSolverError } from './errors.js';

/** The risk parity weights on `members` and how they were found. */
export interface RiskParityResult {
  weights: Float64Array;
  sweeps: number;
  /** Whether some bound binds (then contributions are equal among the unbound assets only). */
  bounded: boolean;
}

const MAX_SWEEPS = 20_000;

/**
 * Cyclical coordinate descent for ½x'Cx − budget·Σ ln x (optionally over the box [lo, hi]) on a
 * dense m×m matrix C, with sx = Cx kept up to date; returns the sweeps used until `done()`.
 */
function descend(
  C: Float64Array,
  m: number,
  x: Float64Array,
  sx: Float64Array,
  budget: number,
  lo: Float64Array | null,
  hi: Float64Array | null,
  done: () => boolean,
): number {
  for (let sweep = 1; sweep <= MAX_SWEEPS; sweep++) {
    for (let i = 0; i < m; i++) {
      const row = i * m;
      const sii = C[row + i] as number;
      const xi = x[i] as number;
      const ci = (sx[i] as number) - sii * xi;
      let next = (-ci + Math.sqrt(ci * ci + 4 * sii * budget)) / (2 * sii);
      if (lo && hi) next = Math.min(hi[i] as number, Math.max(lo[i] as number, next));
      const d = next - xi;
      if (d === 0) continue;
      x[i] = next;
      for (let j = 0; j < m; j++) sx[j] = (sx[j] as number) + d * (C[row + j] as number);
    }
    if (done()) return sweep;
  }
  throw new PortfolioSolverError(
    `risk parity did not converge in ${MAX_SWEEPS} coordinate sweeps; the covariance may be nearly singular`,
  );
}

/** out = C x exactly (to refresh the incrementally updated product). */
function product(C: Float64Array, m: number, x: Float64Array, out: Float64Array): void {
  out.fill(0);
  for (let j = 0; j < m; j++) {
    const xj = x[j] as number;
    const row = j * m;
    for (let i = 0; i < m; i++) out[i] = (out[i] as number) + xj * (C[row + i] as number);
  }
}

/**
 * Risk parity weights over `members` (others get 0), respecting lower/upper as described in the
 * file's doc comment. Assumes Σ_members max(l,0) ≤ 1 ≤ Σ_members u (checked by the caller).
 */
export function riskParityWeights(
  cov: Float64Array,
  n: number,
  members: readonly number[],
  lower: Float64Array,
  upper: Float64Array,
): RiskParityResult {
  const m = members.length;
  const b = 1 / m;
  // The members' covariance as a dense m×m block (plain loops beat index indirection).
  const C = members.length === n ? cov : new Float64Array(m * m);
  if (C !== cov) {
    members.forEach((i, a) => {
      members.forEach((j, c) => {
        C[a * m + c] = cov[i * n + j] as number;
      });
    });
  }
  const y = new Float64Array(m);
  const sy = new Float64Array(m);
  for (let a = 0; a < m; a++) y[a] = 1 / Math.sqrt(C[a * m + a] as number);
  product(C, m, y, sy);
  let quad = 0;
  for (let a = 0; a < m; a++) quad += (y[a] as number) * (sy[a] as number);
  const scale = Math.sqrt(1 / quad); // the best multiple of y for the Spinu objective (Σb = 1)
  for (let a = 0; a < m; a++) {
    y[a] = (y[a] as number) * scale;
    sy[a] = (sy[a] as number) * scale;
  }
  // Unbounded: stop when every y_i (Σy)_i is within 1e-12 of b relative to their total.
  const converged = (): boolean => {
    let total = 0;
    for (let a = 0; a < m; a++) total += (y[a] as number) * (sy[a] as number);
    let worst = 0;
    for (let a = 0; a < m; a++) {
      worst = Math.max(worst, Math.abs(((y[a] as number) * (sy[a] as number)) / total - b));
    }
    return worst <= 1e-12;
  };
  let sweeps = 0;
  do {
    sweeps += descend(C, m, y, sy, b, null, null, converged);
    product(C, m, y, sy);
  } while (!converged());
  let sum = 0;
  for (let a = 0; a < m; a++) sum += y[a] as number;
  const w = new Float64Array(m);
  const lo = new Float64Array(m);
  const hi = new Float64Array(m);
  let inside = true;
  members.forEach((i, a) => {
    const wa = (y[a] as number) / sum;
    w[a] = wa;
    lo[a] = Math.max(0, lower[i] as number);
    hi[a] = upper[i] as number;
    if (wa < (lower[i] as number) - 1e-15 || wa > (upper[i] as number) + 1e-15) inside = false;
  });
  const spread = (v: Float64Array): Float64Array => {
    const out = new Float64Array(n);
    members.forEach((i, a) => {
      out[i] = v[a] as number;
    });
    return out;
  };
  if (inside) return { weights: spread(w), sweeps, bounded: false };

  // Richard–Roncalli: box [max(l, 0), u], λ such that Σx(λ) = 1.
  const x = Float64Array.from(w);
  const sx = new Float64Array(m);
  product(C, m, x, sx);
  let evaluated = Number.NaN;
  const settle = (u: number): number => {
    evaluated = u;
    // Coordinate descent at λ = u² to a fixed point (no weight moves by more than 1e-15 a sweep).
    const before = Float64Array.from(x);
    const stop = (): boolean => {
      let worst = 0;
      for (let a = 0; a < m; a++) {
        worst = Math.max(worst, Math.abs((x[a] as number) - (before[a] as number)));
        before[a] = x[a] as number;
      }
      return worst <= 1e-15;
    };
    sweeps += descend(C, m, x, sx, b * u * u, lo, hi, stop);
    product(C, m, x, sx);
    let total = 0;
    for (let a = 0; a < m; a++) total += x[a] as number;
    return total - 1;
  };
  // Σx − 1 is increasing in u = √λ and 0 at u = 1 when no bound binds: bracket, then Illinois.
  let uLo = 1;
  let fLo = settle(uLo);
  let uHi = uLo;
  let fHi = fLo;
  if (fLo < 0) {
    while (fHi < 0) {
      uLo = uHi;
      fLo = fHi;
      uHi *= 2;
      fHi = settle(uHi);
    }
  } else {
    while (fLo >= 0 && fLo > 1e-14) {
      uHi = uLo;
      fHi = fLo;
      uLo /= 2;
      fLo = settle(uLo);
    }
  }
  let last = 0;
  for (let iter = 0; iter < 200 && fLo < -1e-14 && fHi > 1e-14; iter++) {
    let u = (uLo * fHi - uHi * fLo) / (fHi - fLo);
    if (!(u > uLo && u < uHi)) u = (uLo + uHi) / 2;
    const f = settle(u);
    if (Math.abs(f) <= 1e-14 || uHi - uLo <= 1e-15 * uHi) {
      uLo = uHi = u;
      fLo = fHi = f;
      break;
    }
    if (f < 0) {
      uLo = u;
      fLo = f;
      if (last < 0) fHi /= 2;
      last = -1;
    } else {
      uHi = u;
      fHi = f;
      if (last > 0) fLo /= 2;
      last = 1;
    }
  }
  // Leave x at the better end of the bracket.
  const best = Math.abs(fLo) <= Math.abs(fHi) ? uLo : uHi;
  if (best !== evaluated) settle(best);
  let total = 0;
  for (let a = 0; a < m; a++) total += x[a] as number;
  for (let a = 0; a < m; a++) {
    x[a] = Math.min(hi[a] as number, Math.max(lo[a] as number, (x[a] as number) / total));
  }
  return { weights: spread(x), sweeps, bounded: true };
}
