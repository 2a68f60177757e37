/**
 * `optimizePortfolio`: validates a request, solves its objective under its constraints, and reports
 * the portfolio's figures, frontier and bootstrap intervals.
 *
 * How each objective is solved (all exactly, to round-off, unless marked heuristic):
 * - `min_variance`, `mean_variance`: one active-set QP (./active-set.ts) on Σ with c = 0 or μ/λ,
 *   from a greedy feasible start (lowest variance, or best single-asset utility, first).
 * - `max_sharpe`: when the only constraints are w ≥ 0 and Σw = 1 (max weights ≥ 1, no sector cap
 *   or turnover), the homogenised QP of Cornuéjols & Tütüncü (Optimization Methods in Finance,
 *   2007, §8.2): minimise y'Σy s.t. (μ − r_f)'y = 1, y ≥ 0, then w = y / Σy. Otherwise (bounds,
 *   caps, turnover) the frontier search of ./frontier.ts, which lands on the segment of the
 *   efficient frontier where d Sharpe / dt changes sign and solves for it in closed form.
 * - `target_return`, `target_volatility`: the frontier search (return affine, variance quadratic in
 *   t on each segment).
 * - `risk_parity`: ./risk-parity.ts; `hrp`: ./hrp.ts; `inverse_volatility`, `equal_weight`:
 *   ./simple.ts. With sector caps or a turnover limit these heuristics' weights are projected onto
 *   the constraints (closest portfolio in Euclidean distance, by the same QP solver with Q = I),
 *   and a note says so.
 * - `maxHoldings` (every objective): a heuristic — solve without it, keep the assets whose bounds
 *   exclude 0 plus the largest |w| of the others up to K, and re-solve with the rest fixed at 0; a
 *   note says so (the best K-asset portfolio is a mixed-integer problem this does not solve).
 * - `maxTurnover`: exact, as an absolute-value row Σ|w_i − current_i| ≤ limit inside the QP (see
 *   ./active-set.ts); holdings outside the estimate count as sold. The frontier ignores maxHoldings.
 * - The frontier: N returns evenly spaced from the minimum-variance portfolio's to the highest the
 *   constraints allow, each solved exactly by the frontier search, warm-started from the last.
 */
import type { Estimate } from '../types.js';
import { ActiveSetQp } from './active-set.js';
import { bootstrapIntervals, portfolioReturns } from './bootstrap.js';
import {
  buildRows,
  type ConstraintSet,
  checkBudgetFeasible,
  feasibleStart,
  resolveConstraints,
  turnoverOf,
} from './constraints.js';
import { PortfolioInfeasibleError, PortfolioInputError } from './errors.js';
import {
  FrontierWalker,
  maxReturnEnd,
  minReturnEnd,
  pointOn,
  returnVerdict,
  searchFrontier,
  sharpeVerdict,
  varianceVerdict,
} from './frontier.js';
import { hrpWeights } from './hrp.js';
import { riskParityWeights } from './risk-parity.js';
import { equalWeights, inverseVolatilityWeights } from './simple.js';
import {
  type FrontierPoint,
  PORTFOLIO_OBJECTIVES,
  type PortfolioBootstrap,
  type PortfolioObjective,
  type PortfolioRequest,
  type PortfolioResult,
} from './types.js';

const fmt = (value: number): string => `${Number(value.toPrecision(6))}`;

/** The validated numbers of a request. */
interface Inputs {
  symbols: string[];
  n: number;
  mu: Float64Array;
  cov: Float64Array;
  riskFree: number;
  objective: PortfolioObjective;
}

/** What one objective solve produced. */
interface Solved {
  w: Float64Array;
  method: string;
  iterations: number;
  notes: string[];
}

function validateEstimate(
  estimate: Estimate | undefined,
): Pick<Inputs, 'symbols' | 'n' | 'mu' | 'cov'> {
  if (!estimate || !Array.isArray(estimate.symbols)) {
    throw new PortfolioInputError('the request has no estimate (symbols, mu, cov)');
  }
  const { symbols, mu, cov } = estimate;
  const n = symbols.length;
  if (n < 2) {
    throw new PortfolioInputError(
      `a portfolio needs at least two assets, got ${n}${n === 1 ? ` (${symbols[0]})` : ''}`,
    );
  }
  const seen = new Set<string>();
  for (const s of symbols) {
    if (seen.has(s)) throw new PortfolioInputError(`symbol ${s} appears twice in the estimate`);
    seen.add(s);
  }
  if (!(mu instanceof Float64Array) || mu.length !== n) {
    throw new PortfolioInputError(
      `expected returns (mu) must be a Float64Array of ${n} values, one per symbol, got ${mu?.length ?? 'none'}`,
    );
  }
  if (!(cov instanceof Float64Array) || cov.length !== n * n) {
    throw new PortfolioInputError(
      `covariance must be a Float64Array of ${n}×${n} = ${n * n} values (row-major), got ${cov?.length ?? 'none'}`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(mu[i] as number)) {
      throw new PortfolioInputError(
        `expected return of ${symbols[i]} is ${mu[i]}; it must be a finite number`,
      );
    }
  }
  for (let i = 0; i < n; i++) {
    const vii = cov[i * n + i] as number;
    if (!(vii > 0) || !Number.isFinite(vii)) {
      throw new PortfolioInputError(
        `variance of ${symbols[i]} is ${vii}; every variance must be a finite number > 0 (a riskless asset cannot be optimised with a positive definite covariance)`,
      );
    }
  }
  // Finite and symmetric, compared in 32 × 32 tiles so that the transposed reads stay in cache.
  const tile = 32;
  for (let bi = 0; bi < n; bi += tile) {
    for (let bj = 0; bj <= bi; bj += tile) {
      for (let i = bi; i < Math.min(n, bi + tile); i++) {
        for (let j = bj; j < Math.min(i, bj + tile); j++) {
          const a = cov[i * n + j] as number;
          const b = cov[j * n + i] as number;
          if (a === b && Number.isFinite(a)) continue;
          if (!Number.isFinite(a) || !Number.isFinite(b)) {
            throw new PortfolioInputError(
              `covariance of ${symbols[i]} and ${symbols[j]} is ${Number.isFinite(a) ? b : a}; every entry must be a finite number`,
            );
          }
          const scale = Math.sqrt((cov[i * n + i] as number) * (cov[j * n + j] as number));
          if (Math.abs(a - b) > 1e-10 * scale) {
            throw new PortfolioInputError(
              `covariance is not symmetric: (${symbols[i]}, ${symbols[j]}) = ${a} but (${symbols[j]}, ${symbols[i]}) = ${b}`,
            );
          }
        }
      }
    }
  }
  return { symbols, n, mu, cov };
}

function optionalNumber(
  label: string,
  value: number | undefined,
  rule: string,
  ok: (v: number) => boolean,
) {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new PortfolioInputError(`${label} ${String(value)} is not valid; ${rule}`);
  }
  return value;
}

/** Indices sorted by key ascending (ties by index). */
function orderBy(n: number, key: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => key(a) - key(b) || a - b);
}

/** Σw (as Σ_j w_j Σ[j,:] over the nonzero w_j), w'Σw, μ'w. */
function figures(inputs: Inputs, w: Float64Array) {
  const { n, cov, mu } = inputs;
  const sw = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const wj = w[j] as number;
    if (wj === 0) continue;
    const row = j * n;
    for (let i = 0; i < n; i++) sw[i] = (sw[i] as number) + wj * (cov[row + i] as number);
  }
  let variance = 0;
  let ret = 0;
  for (let i = 0; i < n; i++) {
    variance += (w[i] as number) * (sw[i] as number);
    ret += (mu[i] as number) * (w[i] as number);
  }
  return { sw, variance: Math.max(0, variance), ret };
}

/** A frontier walker over the request's constraints with the given bounds. */
function makeWalker(
  inputs: Inputs,
  set: ConstraintSet,
  lower: Float64Array,
  upper: Float64Array,
  context: string,
): FrontierWalker {
  const { n, cov, mu, symbols } = inputs;
  const start = feasibleStart(
    set,
    lower,
    upper,
    orderBy(n, (i) => cov[i * n + i] as number),
    context,
  );
  const { rows, absolute } = buildRows(set, lower, upper);
  const solver = new ActiveSetQp({
    n,
    Q: cov,
    c: new Float64Array(n),
    lower,
    upper,
    rows,
    absolute,
    names: symbols,
  });
  solver.start(start.x, start.hint);
  let meanVariance = 0;
  let meanAbsMu = 0;
  for (let i = 0; i < n; i++) {
    meanVariance += (cov[i * n + i] as number) / n;
    meanAbsMu += Math.abs(mu[i] as number) / n;
  }
  return new FrontierWalker(solver, mu, meanVariance / Math.max(meanAbsMu, 1e-12));
}

function bindingNotes(
  solver: ActiveSetQp,
  w: Float64Array,
  upper: Float64Array,
  set: ConstraintSet,
): string[] {
  const notes: string[] = [];
  const rows = solver.activeInequalities();
  if (rows.length > 0) notes.push(`binding at the optimum: ${rows.join('; ')}`);
  let atMax = 0;
  for (let i = 0; i < set.n; i++) {
    if (
      (upper[i] as number) < 1 &&
      (upper[i] as number) > 0 &&
      (w[i] as number) >= (upper[i] as number)
    )
      atMax++;
  }
  if (atMax > 0) notes.push(`${atMax} asset${atMax === 1 ? ' is' : 's are'} at the max weight`);
  return notes;
}

/** Solves one QP objective with the given bounds. */
function solveQp(
  inputs: Inputs,
  set: ConstraintSet,
  lower: Float64Array,
  upper: Float64Array,
  request: PortfolioRequest,
  context: string,
): Solved {
  const { n, cov, mu, symbols, objective, riskFree } = inputs;
  const notes: string[] = [];
  if (objective === 'min_variance' || objective === 'mean_variance') {
    const lambda = request.riskAversion ?? 1;
    const c = new Float64Array(n);
    if (objective === 'mean_variance')
      for (let i = 0; i < n; i++) c[i] = (mu[i] as number) / lambda;
    // Single-asset objective ½σ² − μ/λ, best first: a start near the optimum's support.
    const order = orderBy(n, (i) => 0.5 * (cov[i * n + i] as number) - (c[i] as number));
    const start = feasibleStart(set, lower, upper, order, context);
    const { rows, absolute } = buildRows(set, lower, upper);
    const solver = new ActiveSetQp({ n, Q: cov, c, lower, upper, rows, absolute, names: symbols });
    solver.start(start.x, start.hint);
    solver.solve();
    const w = Float64Array.from(solver.x);
    return {
      w,
      method: 'active-set QP (Nocedal–Wright Alg. 16.3; Cholesky of the free block, updated)',
      iterations: solver.iterations,
      notes: bindingNotes(solver, w, upper, set),
    };
  }
  if (objective === 'max_sharpe') {
    let homogeneous = set.turnoverLimit === null && buildRows(set, lower, upper).rows.length === 1;
    for (let i = 0; i < n && homogeneous; i++) {
      const lo = lower[i] as number;
      const hi = upper[i] as number;
      if (!(lo === 0 && (hi >= 1 || hi === 0))) homogeneous = false;
    }
    if (homogeneous) return maxSharpeHomogeneous(inputs, upper);
    const walker = makeWalker(inputs, set, lower, upper, context);
    const found = searchFrontier(walker, 0, 0, Number.POSITIVE_INFINITY, sharpeVerdict(riskFree));
    const w = pointOn(found.segment, found.t);
    let ret = 0;
    for (let i = 0; i < n; i++) ret += (mu[i] as number) * (w[i] as number);
    if (!(ret > riskFree)) {
      const end = maxReturnEnd(walker, found.t);
      const best = end.segment.ret0;
      throw new PortfolioInfeasibleError(
        `no portfolio meeting the constraints has an expected return above the risk-free rate ${fmt(riskFree)} (the highest is ${fmt(best)}): the Sharpe ratio cannot be positive; use min_variance or a lower risk-free rate`,
      );
    }
    notes.push(...bindingNotes(walker.solver, w, upper, set));
    return {
      w,
      method: `active-set QP + exact search along the efficient frontier (${walker.probes} solves)`,
      iterations: walker.solver.iterations,
      notes,
    };
  }
  if (objective === 'target_return') {
    const target = request.targetReturn as number;
    const walker = makeWalker(inputs, set, lower, upper, context);
    let minVarianceReturn = Number.NaN;
    const verdict = returnVerdict(target);
    const found = searchFrontier(
      walker,
      0,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      (seg, lo, hi) => {
        if (seg.t === 0) minVarianceReturn = seg.ret0;
        return verdict(seg, lo, hi);
      },
    );
    const w = pointOn(found.segment, found.t);
    let ret = 0;
    for (let i = 0; i < n; i++) ret += (mu[i] as number) * (w[i] as number);
    if (Math.abs(ret - target) > 1e-9 * Math.max(1, Math.abs(target))) {
      let bestAsset = 0;
      for (let i = 1; i < n; i++) if ((mu[i] as number) > (mu[bestAsset] as number)) bestAsset = i;
      if (target > ret) {
        const top = maxReturnEnd(walker, found.t).segment.ret0;
        throw new PortfolioInfeasibleError(
          `target return ${fmt(target)} is above ${fmt(top)}, the highest expected return the constraints allow${context} (the best asset, ${symbols[bestAsset]}, expects ${fmt(mu[bestAsset] as number)}); lower the target or loosen the constraints`,
        );
      }
      const bottom = minReturnEnd(walker, found.t).segment.ret0;
      throw new PortfolioInfeasibleError(
        `target return ${fmt(target)} is below ${fmt(bottom)}, the lowest expected return the constraints allow${context}; raise the target`,
      );
    }
    if (found.t < 0 && Number.isFinite(minVarianceReturn)) {
      notes.push(
        `target return ${fmt(target)} is below the minimum-variance portfolio's ${fmt(minVarianceReturn)}: this portfolio is inefficient (more return is available at less risk)`,
      );
    }
    notes.push(...bindingNotes(walker.solver, w, upper, set));
    return {
      w,
      method: `active-set QP + exact search along the frontier (${walker.probes} solves)`,
      iterations: walker.solver.iterations,
      notes,
    };
  }
  // target_volatility
  const target = request.targetVolatility as number;
  const walker = makeWalker(inputs, set, lower, upper, context);
  const first = walker.at(0);
  const minVol = Math.sqrt(first.var0);
  if (target < minVol * (1 - 1e-12)) {
    throw new PortfolioInfeasibleError(
      `target volatility ${fmt(target)} is below ${fmt(minVol)}, the volatility of the minimum-variance portfolio under these constraints${context}: no portfolio is that quiet; raise the target`,
    );
  }
  const found = searchFrontier(
    walker,
    0,
    0,
    Number.POSITIVE_INFINITY,
    varianceVerdict(target * target),
  );
  const w = pointOn(found.segment, found.t);
  const { variance } = figures(inputs, w);
  if (Math.sqrt(variance) < target * (1 - 1e-9)) {
    notes.push(
      `target volatility ${fmt(target)} is not reached: the highest-return portfolio the constraints allow has volatility ${fmt(Math.sqrt(variance))}`,
    );
  }
  notes.push(...bindingNotes(walker.solver, w, upper, set));
  return {
    w,
    method: `active-set QP + exact search along the efficient frontier (${walker.probes + 1} solves)`,
    iterations: walker.solver.iterations,
    notes,
  };
}

/** max_sharpe with only w ≥ 0 and Σw = 1: minimise y'Σy s.t. (μ − r_f)'y = 1, y ≥ 0. */
function maxSharpeHomogeneous(inputs: Inputs, upper: Float64Array): Solved {
  const { n, cov, mu, symbols, riskFree } = inputs;
  const excess = new Float64Array(n);
  let best = -1;
  let bestRatio = Number.NEGATIVE_INFINITY;
  let top = 0;
  for (let i = 0; i < n; i++) {
    excess[i] = (mu[i] as number) - riskFree;
    if ((mu[i] as number) > (mu[top] as number)) top = i;
    if ((upper[i] as number) <= 0 || !((excess[i] as number) > 0)) continue;
    const ratio = (excess[i] as number) / Math.sqrt(cov[i * n + i] as number);
    if (ratio > bestRatio) {
      bestRatio = ratio;
      best = i;
    }
  }
  if (best < 0) {
    throw new PortfolioInfeasibleError(
      `no asset has an expected return above the risk-free rate ${fmt(riskFree)} (the highest is ${symbols[top]} at ${fmt(mu[top] as number)}): a long-only portfolio cannot have a positive Sharpe ratio; use min_variance or a lower risk-free rate`,
    );
  }
  const lower = new Float64Array(n);
  const hi = new Float64Array(n);
  for (let i = 0; i < n; i++) hi[i] = (upper[i] as number) > 0 ? Number.POSITIVE_INFINITY : 0;
  const solver = new ActiveSetQp({
    n,
    Q: cov,
    c: new Float64Array(n),
    lower,
    upper: hi,
    rows: [{ a: excess, b: 1, kind: 'eq', label: 'excess return' }],
    names: symbols,
  });
  const y0 = new Float64Array(n);
  y0[best] = 1 / (excess[best] as number);
  solver.start(y0, [best]);
  solver.solve();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += solver.x[i] as number;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = (solver.x[i] as number) / sum;
  return {
    w,
    method:
      'active-set QP on the homogenised problem min y′Σy, (μ − r_f)′y = 1, y ≥ 0 (Cornuéjols–Tütüncü)',
    iterations: solver.iterations,
    notes: [],
  };
}

/** The closest portfolio to h (Euclidean) meeting every constraint: min ½‖w‖² − h'w. */
function project(
  set: ConstraintSet,
  lower: Float64Array,
  upper: Float64Array,
  h: Float64Array,
  context: string,
) {
  const { n } = set;
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  const start = feasibleStart(
    set,
    lower,
    upper,
    orderBy(n, (i) => -(h[i] as number)),
    context,
  );
  const { rows, absolute } = buildRows(set, lower, upper);
  const solver = new ActiveSetQp({ n, Q, c: h, lower, upper, rows, absolute, names: set.symbols });
  solver.start(start.x, start.hint);
  solver.solve();
  return { w: Float64Array.from(solver.x), iterations: solver.iterations };
}

/** Whether w meets the sector caps and the turnover limit (bounds and budget hold by construction). */
function meetsRows(set: ConstraintSet, w: Float64Array): boolean {
  const bySector = new Float64Array(set.sectorNames.length);
  for (let i = 0; i < set.n; i++) {
    const s = set.sectorOf[i] as number;
    if (s >= 0) bySector[s] = (bySector[s] as number) + (w[i] as number);
  }
  for (let s = 0; s < bySector.length; s++) {
    if ((bySector[s] as number) > (set.sectorCaps[s] as number) + 1e-12) return false;
  }
  if (set.turnoverLimit !== null && turnoverOf(set, w) > set.turnoverLimit + 1e-12) return false;
  return true;
}

/** Solves one heuristic objective (risk parity, HRP, inverse volatility, equal weight). */
function solveHeuristic(
  inputs: Inputs,
  set: ConstraintSet,
  lower: Float64Array,
  upper: Float64Array,
  context: string,
): Solved {
  const { n, cov, objective } = inputs;
  checkBudgetFeasible(set, lower, upper, context);
  const members: number[] = [];
  for (let i = 0; i < n; i++) if (!(lower[i] === 0 && upper[i] === 0)) members.push(i);
  const notes: string[] = [];
  let w: Float64Array;
  let method: string;
  let iterations = 0;
  if (objective === 'risk_parity') {
    const rp = riskParityWeights(cov, n, members, lower, upper);
    w = rp.weights;
    iterations = rp.sweeps;
    method =
      'equal risk contribution by cyclical coordinate descent (Spinu 2013; Griveau-Billion et al. 2013)';
    if (rp.bounded) {
      notes.push(
        'bounds bind: risk contributions are equal among the assets strictly inside their bounds only (constrained risk budgeting, Richard & Roncalli 2019)',
      );
    }
  } else if (objective === 'hrp') {
    w = hrpWeights(cov, n, members, lower, upper).weights;
    method =
      'hierarchical risk parity (López de Prado 2016; single linkage, bounds by clipped bisection)';
  } else if (objective === 'inverse_volatility') {
    w = inverseVolatilityWeights(cov, n, members, lower, upper);
    method = 'inverse volatility (closed form; bounds by proportional water-filling)';
  } else {
    w = equalWeights(n, members, lower, upper);
    method = 'equal weight (closed form; bounds by water-filling)';
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += w[i] as number;
  if (Math.abs(sum - 1) > 1e-9 || !meetsRows(set, w)) {
    const projected = project(set, lower, upper, w, context);
    w = projected.w;
    iterations += projected.iterations;
    method += '; projected onto the constraints';
    notes.push(
      `the ${objective} weights broke the sector caps or turnover limit, so they were replaced by the closest portfolio (least squares) that meets every constraint`,
    );
  }
  return { w, method, iterations, notes };
}

function solveObjective(inputs: Inputs, set: ConstraintSet, request: PortfolioRequest) {
  const quadratic = [
    'min_variance',
    'max_sharpe',
    'mean_variance',
    'target_return',
    'target_volatility',
  ].includes(inputs.objective);
  const run = (lower: Float64Array, upper: Float64Array, context: string): Solved =>
    quadratic
      ? solveQp(inputs, set, lower, upper, request, context)
      : solveHeuristic(inputs, set, lower, upper, context);
  const first = run(set.lower, set.upper, '');
  const K = set.maxHoldings;
  if (K === null) return first;
  const { n, symbols } = inputs;
  const held = orderBy(n, (i) => -Math.abs(first.w[i] as number)).filter(
    (i) => (first.w[i] as number) !== 0,
  );
  if (held.length <= K) {
    return {
      ...first,
      notes: [
        ...first.notes,
        `max holdings ${K}: the optimum holds ${held.length} assets, so the limit does not bind`,
      ],
    };
  }
  // Assets whose bounds forbid 0 must stay; the largest of the others fill the rest of the K.
  const forced = orderBy(n, (i) => i).filter(
    (i) => (set.lower[i] as number) > 0 || (set.upper[i] as number) < 0,
  );
  if (forced.length > K) {
    const names = forced.slice(0, 8).map((i) => symbols[i]);
    throw new PortfolioInfeasibleError(
      `max holdings ${K} cannot be met: ${forced.length} assets have bounds that exclude 0 (a min weight > 0 or a max weight < 0), so all must be held: ${names.join(', ')}${forced.length > 8 ? ', …' : ''}; raise max holdings or relax those bounds`,
    );
  }
  const keep = new Set(forced);
  for (const i of held) {
    if (keep.size >= K) break;
    keep.add(i);
  }
  const lower = Float64Array.from(set.lower);
  const upper = Float64Array.from(set.upper);
  for (let i = 0; i < n; i++) {
    if (keep.has(i)) continue;
    lower[i] = 0;
    upper[i] = 0;
  }
  const second = run(lower, upper, ` with max holdings ${K}`);
  return {
    w: second.w,
    method: `${second.method}; max holdings by keep-the-largest heuristic`,
    iterations: first.iterations + second.iterations,
    notes: [
      `max_holdings is a heuristic: the optimum without it held ${held.length} assets; the ${K} largest weights (and any asset whose bounds exclude 0) were kept and the problem re-solved on those alone, which meets the limit but may miss the best ${K}-asset portfolio`,
      ...second.notes,
    ],
  };
}

function frontierPoints(inputs: Inputs, set: ConstraintSet, points: number): FrontierPoint[] {
  const { riskFree } = inputs;
  const walker = makeWalker(inputs, set, set.lower, set.upper, '');
  const first = walker.at(0);
  const low = first.ret0;
  const end = maxReturnEnd(walker, walker.scale);
  const high = end.segment.ret0 + (end.t - end.segment.t) * end.segment.ret1;
  const out: FrontierPoint[] = [];
  let t = end.t;
  for (let j = points - 1; j >= 0; j--) {
    const target = points === 1 ? low : low + ((high - low) * j) / (points - 1);
    const found = searchFrontier(walker, t, 0, Number.POSITIVE_INFINITY, returnVerdict(target));
    t = found.t;
    const seg = found.segment;
    const d = t - seg.t;
    const ret = seg.ret0 + d * seg.ret1;
    const volatility = Math.sqrt(Math.max(0, seg.var0 + 2 * d * seg.var1 + d * d * seg.var2));
    out.push({
      expectedReturn: ret,
      volatility,
      sharpe: volatility > 0 ? (ret - riskFree) / volatility : null,
    });
  }
  return out.reverse();
}

/**
 * Optimal weights for `request.objective` under `request.constraints`, with the portfolio's
 * expected return, volatility, Sharpe ratio and risk contributions, the efficient frontier when
 * `frontierPoints` > 0 and bootstrap intervals when `bootstrap` is given. See the file's doc
 * comment for the method per objective. Throws PortfolioInputError (malformed request),
 * PortfolioInfeasibleError (no portfolio meets the constraints; the message says why) or
 * PortfolioSolverError (numerical trouble, e.g. a singular covariance).
 */
export function optimizePortfolio(request: PortfolioRequest): PortfolioResult {
  const base = validateEstimate(request.estimate);
  const objective = request.objective;
  if (!PORTFOLIO_OBJECTIVES.includes(objective)) {
    throw new PortfolioInputError(
      `objective ${JSON.stringify(objective)} is not known; use one of ${PORTFOLIO_OBJECTIVES.join(', ')}`,
    );
  }
  const riskFree =
    optionalNumber(
      'risk-free rate',
      request.riskFreeRate,
      'use an annual rate such as 0.02',
      () => true,
    ) ?? 0;
  optionalNumber('risk aversion', request.riskAversion, 'use a number > 0 (e.g. 10)', (v) => v > 0);
  if (objective === 'target_return') {
    if (request.targetReturn === undefined) {
      throw new PortfolioInputError(
        'target_return needs targetReturn, an annual expected return such as 0.15',
      );
    }
    optionalNumber(
      'target return',
      request.targetReturn,
      'use an annual return such as 0.15',
      () => true,
    );
  }
  if (objective === 'target_volatility') {
    if (request.targetVolatility === undefined) {
      throw new PortfolioInputError(
        'target_volatility needs targetVolatility, an annual volatility such as 0.12',
      );
    }
    optionalNumber(
      'target volatility',
      request.targetVolatility,
      'use an annual volatility > 0 such as 0.12',
      (v) => v > 0,
    );
  }
  const points =
    optionalNumber(
      'frontier points',
      request.frontierPoints,
      'use a whole number from 0 to 10000',
      (v) => Number.isInteger(v) && v >= 0 && v <= 10_000,
    ) ?? 0;
  const inputs: Inputs = { ...base, riskFree, objective };
  const set = resolveConstraints(base.symbols, request.constraints);
  const solved = solveObjective(inputs, set, request);
  const { w } = solved;
  const { sw, variance, ret } = figures(inputs, w);
  const volatility = Math.sqrt(variance);
  const weights: Record<string, number> = {};
  const riskContributions: Record<string, number> = {};
  // `+ 0` turns −0 into 0, so JSON and printed tables never show "-0".
  base.symbols.forEach((symbol, i) => {
    weights[symbol] = (w[i] as number) + 0;
    riskContributions[symbol] =
      variance > 0 ? ((w[i] as number) * (sw[i] as number)) / variance + 0 : 0;
  });
  const notes = [...set.notes, ...solved.notes];
  if (set.current) notes.push(`turnover against the current weights: ${fmt(turnoverOf(set, w))}`);
  let frontier: FrontierPoint[] = [];
  if (points > 0) {
    frontier = frontierPoints(inputs, set, points);
    if (set.maxHoldings !== null)
      notes.push(
        'the frontier ignores max holdings (it is solved exactly on the other constraints)',
      );
  }
  let bootstrap: PortfolioBootstrap | null = null;
  if (request.bootstrap) {
    const b = request.bootstrap;
    const samples =
      optionalNumber(
        'bootstrap samples',
        b.samples,
        'use a whole number from 1 to 1000000',
        (v) => Number.isInteger(v) && v >= 1 && v <= 1_000_000,
      ) ?? 1000;
    const seed = optionalNumber('bootstrap seed', b.seed, 'use a finite number', () => true) ?? 1;
    const confidence =
      optionalNumber(
        'bootstrap confidence',
        b.confidence,
        'use a probability strictly between 0 and 1 such as 0.95',
        (v) => v > 0 && v < 1,
      ) ?? 0.95;
    if (!b.returns || !(b.returns.values instanceof Float64Array)) {
      throw new PortfolioInputError(
        'bootstrap needs returns (the ReturnsMatrix the estimate was built from)',
      );
    }
    bootstrap = bootstrapIntervals(
      portfolioReturns(b.returns, base.symbols, w),
      samples,
      seed,
      confidence,
    );
  }
  return {
    objective,
    weights,
    expectedReturn: ret,
    volatility,
    sharpe: volatility > 0 ? (ret - riskFree) / volatility : null,
    riskContributions,
    frontier,
    bootstrap,
    solver: { method: solved.method, iterations: solved.iterations },
    notes,
  };
}
