/**
 * The efficient frontier as a parametric QP (the critical-line view, Markowitz 1956):
 *
 *   w(t) = argmin ½ w'Σw − t·μ'w   subject to the budget, bounds, sector caps and turnover.
 *
 * For t ≥ 0 this traces the efficient frontier from the minimum-variance portfolio (t = 0) to the
 * maximum-return one (t → ∞); t < 0 traces the inefficient lower branch down to the minimum-return
 * portfolio. Between breakpoints the working set is fixed and w(t) is exactly affine in t, so
 * along one segment the expected return μ'w is affine, the variance w'Σw quadratic, and
 *   - a target return is met at one t (a linear equation),
 *   - a target volatility at one t (a quadratic),
 *   - the Sharpe ratio f(t) = (μ'w − r_f)/√(w'Σw) has derivative sign
 *       N(Δ) = (q·v₀ − p·v₁) + (q·v₁ − p·v₂)·Δ   (p + qΔ = excess return, v₀ + 2v₁Δ + v₂Δ² = variance),
 *     linear in Δ, so its maximiser on a segment is one division.
 * Along the efficient branch the return is a concave function of the volatility, so the Sharpe
 * ratio is unimodal in t (its derivative changes sign once, + to −), and the return and the
 * volatility never decrease: each target is found by a bracketed search over t whose every probe
 * is an exact, warm-started active-set solve, and which ends inside the segment that holds the
 * answer, where the answer is computed in closed form. No tolerance-driven bisection decides the
 * result; bisection only keeps the bracket shrinking when a segment's own prediction falls outside.
 *
 * With caps, sector limits or turnover the frontier has corners: "vertex" segments on which w is
 * constant over a range of t (as many binding constraints as free weights). There the Sharpe ratio
 * is flat in t, so the search asks the neighbouring segments which way it rises, and returns the
 * vertex itself when neither side does.
 */
import type { ActiveSetQp, QpSegment } from './active-set.js';
import { PortfolioSolverError } from './errors.js';

/** One probe of the frontier: the segment of t around `t` on which w(t) = x + (t' − t)·beta. */
export interface FrontierSegment extends QpSegment {
  t: number;
  /** The range of t the segment covers (t + lo, t + hi of the solver's segment). */
  tLo: number;
  tHi: number;
  /** μ'w(t') = ret0 + Δ·ret1, Δ = t' − t. */
  ret0: number;
  ret1: number;
  /** w(t')'Σw(t') = var0 + 2Δ·var1 + Δ²·var2. */
  var0: number;
  var1: number;
  var2: number;
}

/**
 * A verdict on a segment: the answer is at `t`; or it lies to the `direction` side (with a guess
 * of where); or the segment is a vertex (w constant on it) whose neighbours must decide.
 */
export type SegmentVerdict =
  | { t: number }
  | { direction: 1 | -1; guess?: number }
  | { vertex: true };

/** Walks w(t) with one warm-started solver; probes are in any order (monotone is fastest). */
export class FrontierWalker {
  /** Probes made (each one active-set solve). */
  probes = 0;
  private readonly c: Float64Array;

  /** `solver` must have been started on the problem with c = 0 (its Q is Σ); `mu` is μ. */
  constructor(
    readonly solver: ActiveSetQp,
    private readonly mu: Float64Array,
    /** Scale of t: the search's first step away from a finite end of its bracket. */
    readonly scale: number,
  ) {
    this.c = new Float64Array(mu.length);
  }

  /** Solves at t and returns its segment (unclipped tLo/tHi). */
  at(t: number): FrontierSegment {
    const { mu, c, solver } = this;
    for (let i = 0; i < c.length; i++) c[i] = t * (mu[i] as number);
    solver.setLinear(c);
    solver.solve();
    this.probes++;
    const seg = solver.segment(mu);
    let ret0 = 0;
    let ret1 = 0;
    let var0 = 0;
    let var1 = 0;
    let var2 = 0;
    for (let i = 0; i < c.length; i++) {
      const xi = seg.x[i] as number;
      const bi = seg.beta[i] as number;
      ret0 += (mu[i] as number) * xi;
      ret1 += (mu[i] as number) * bi;
      var0 += xi * (seg.qx[i] as number);
      var1 += xi * (seg.qBeta[i] as number);
      var2 += bi * (seg.qBeta[i] as number);
    }
    // β'Σβ = μ'β ≥ 0 (KKT of the segment), so ret1 and var2 are ≥ 0 up to round-off.
    return {
      ...seg,
      t,
      tLo: t + seg.lo,
      tHi: t + seg.hi,
      ret0,
      ret1: Math.max(0, ret1),
      var0,
      var1,
      var2: Math.max(0, var2),
    };
  }
}

/** w at t' on a segment (t' inside it). */
export function pointOn(seg: FrontierSegment, t: number): Float64Array {
  const d = t - seg.t;
  const out = new Float64Array(seg.x.length);
  for (let i = 0; i < out.length; i++) out[i] = (seg.x[i] as number) + d * (seg.beta[i] as number);
  return out;
}

type Verdict = (seg: FrontierSegment, lo: number, hi: number) => SegmentVerdict;

/**
 * Finds the t where `verdict` says the answer is, within [tMin, tMax], starting at `t0`: probes,
 * keeps a bracket (A, B) of t the answer lies strictly between, and moves to the verdict's guess
 * when it lies inside the bracket, else bisects (or doubles towards an infinite end). A vertex
 * segment is settled by its neighbours: the probe just right of it, then the one just left.
 */
export function searchFrontier(
  walker: FrontierWalker,
  t0: number,
  tMin: number,
  tMax: number,
  verdict: Verdict,
): { t: number; segment: FrontierSegment } {
  let A = tMin;
  let B = tMax;
  let t = Math.min(tMax, Math.max(tMin, t0));
  const probe = (at: number) => {
    const seg = walker.at(at);
    const lo = Math.max(seg.tLo, tMin);
    const hi = Math.min(seg.tHi, tMax);
    return { seg, lo, hi, v: verdict(seg, lo, hi) };
  };
  const nudge = (at: number) => 1e-10 * Math.max(Math.abs(at), walker.scale);
  for (let count = 0; count < 500; count++) {
    let { seg, lo, hi, v } = probe(t);
    if ('vertex' in v) {
      const vertex = { t: seg.t, segment: seg };
      let right = hi < tMax ? probe(hi + nudge(hi)) : null;
      for (let hop = 0; hop < 20 && right && 'vertex' in right.v && right.hi < tMax; hop++) {
        right = probe(right.hi + nudge(right.hi));
      }
      if (right && !('vertex' in right.v) && ('t' in right.v || right.v.direction > 0)) {
        ({ seg, lo, hi, v } = right);
      } else {
        let left = lo > tMin ? probe(lo - nudge(lo)) : null;
        for (let hop = 0; hop < 20 && left && 'vertex' in left.v && left.lo > tMin; hop++) {
          left = probe(left.lo - nudge(left.lo));
        }
        if (!left || 'vertex' in left.v || ('direction' in left.v && left.v.direction > 0))
          return vertex;
        ({ seg, lo, hi, v } = left);
      }
    }
    if ('vertex' in v) return { t: seg.t, segment: seg };
    if ('t' in v) return { t: Math.min(hi, Math.max(lo, v.t)), segment: seg };
    if (v.direction > 0) A = Math.max(A, hi);
    else B = Math.min(B, lo);
    if (Number.isFinite(B - A) && B - A <= 1e-13 * Math.max(1, Math.abs(A), Math.abs(B))) {
      // The answer is the breakpoint itself, shared by this segment and its neighbour.
      return { t: v.direction > 0 ? hi : lo, segment: seg };
    }
    let next: number;
    const guess = v.guess;
    const room = 1e-9 * Math.max(1, Math.abs(A), Math.abs(B));
    if (guess !== undefined && Number.isFinite(guess) && guess > A + room && guess < B - room) {
      next = guess;
    } else if (Number.isFinite(A) && Number.isFinite(B)) next = (A + B) / 2;
    else if (Number.isFinite(A)) next = A + Math.max(Math.abs(A), walker.scale);
    else if (Number.isFinite(B)) next = B - Math.max(Math.abs(B), walker.scale);
    else next = 0;
    t = next;
  }
  throw new PortfolioSolverError(
    `the frontier search did not settle in 500 probes (bracket ${A} to ${B}); please report this input`,
  );
}

/** The maximum-return end of the frontier (t → ∞): the segment that never ends. */
export function maxReturnEnd(
  walker: FrontierWalker,
  t0: number,
): { t: number; segment: FrontierSegment } {
  return searchFrontier(
    walker,
    t0,
    Number.NEGATIVE_INFINITY,
    Number.POSITIVE_INFINITY,
    (seg, _lo, hi) => (hi === Number.POSITIVE_INFINITY ? { t: seg.t } : { direction: 1 }),
  );
}

/** The minimum-return end (t → −∞). */
export function minReturnEnd(
  walker: FrontierWalker,
  t0: number,
): { t: number; segment: FrontierSegment } {
  return searchFrontier(
    walker,
    t0,
    Number.NEGATIVE_INFINITY,
    Number.POSITIVE_INFINITY,
    (seg, lo) => (lo === Number.NEGATIVE_INFINITY ? { t: seg.t } : { direction: -1 }),
  );
}

/** Verdict for "μ'w = target" (the return is non-decreasing in t). */
export function returnVerdict(target: number) {
  return (seg: FrontierSegment, lo: number, hi: number): SegmentVerdict => {
    const at = (t: number) => seg.ret0 + (t - seg.t) * seg.ret1;
    const guess = seg.ret1 > 0 ? seg.t + (target - seg.ret0) / seg.ret1 : undefined;
    const tol = 1e-13 * Math.max(1, Math.abs(target));
    if (hi < Number.POSITIVE_INFINITY && at(hi) < target - tol) return { direction: 1, guess };
    if (lo > Number.NEGATIVE_INFINITY && at(lo) > target + tol) return { direction: -1, guess };
    if (seg.ret1 <= 0) return { t: seg.t };
    return { t: seg.t + (target - seg.ret0) / seg.ret1 };
  };
}

/** Verdict for "w'Σw = target²" on the efficient branch (variance non-decreasing for t ≥ 0). */
export function varianceVerdict(targetVariance: number) {
  return (seg: FrontierSegment, lo: number, hi: number): SegmentVerdict => {
    const at = (t: number) => {
      const d = t - seg.t;
      return seg.var0 + 2 * d * seg.var1 + d * d * seg.var2;
    };
    // The larger root of var2·Δ² + 2·var1·Δ + (var0 − target) = 0.
    let guess: number | undefined;
    if (seg.var2 > 0) {
      const disc = seg.var1 * seg.var1 - seg.var2 * (seg.var0 - targetVariance);
      if (disc >= 0) guess = seg.t + (-seg.var1 + Math.sqrt(disc)) / seg.var2;
    }
    const tol = 1e-13 * targetVariance;
    if (hi < Number.POSITIVE_INFINITY && at(hi) < targetVariance - tol)
      return { direction: 1, guess };
    if (at(lo) > targetVariance + tol) return { direction: -1, guess };
    return { t: guess ?? seg.t };
  };
}

/**
 * Verdict for the maximum Sharpe ratio (μ'w − rf)/√(w'Σw) with the budget Σw = 1 in force, so the
 * excess return of w(t') is ret − rf and moves by ret1 per unit t.
 */
export function sharpeVerdict(riskFree: number) {
  return (seg: FrontierSegment, lo: number, hi: number): SegmentVerdict => {
    const p = seg.ret0 - riskFree;
    const q = seg.ret1;
    const a0 = q * seg.var0 - p * seg.var1;
    const a1 = q * seg.var1 - p * seg.var2;
    const slope = (t: number) => a0 + a1 * (t - seg.t);
    const scale = Math.abs(q * seg.var0) + Math.abs(p * seg.var1) + 1e-300;
    const tol = 1e-12 * scale;
    const guess = a1 < 0 ? seg.t - a0 / a1 : undefined;
    if (seg.constant) return { vertex: true };
    if (hi < Number.POSITIVE_INFINITY && slope(hi) > tol) return { direction: 1, guess };
    if (slope(lo) < -tol) {
      if (lo <= 0) return { t: lo };
      return { direction: -1, guess };
    }
    if (a1 === 0) return { t: seg.t };
    return { t: seg.t - a0 / a1 };
  };
}
