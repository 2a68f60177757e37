/**
 * From a request's constraints to the arrays the solvers read: per-asset bounds, sector rows, the
 * turnover row; the feasibility checks that explain an impossible request in its own terms; and
 * feasible starting points (a greedy fill, and a phase 1 when a turnover limit is in play).
 *
 * Every portfolio satisfies the budget Σ w_i = 1. Sectors are disjoint (each symbol has at most
 * one), so "budget + bounds + sector caps" is feasible exactly when
 *   Σ l_i ≤ 1,   Σ_{i∈s} l_i ≤ cap_s for every sector s,   Σ_s min(cap_s, Σ_{i∈s} u_i) + Σ_{i∉any} u_i ≥ 1,
 * and then the greedy fill below always finds a point (it is a polymatroid: filling assets in any
 * order up to their bound and their sector's room reaches 1).
 */
import type { QpAbsoluteRow, QpRow } from './active-set.js';
import { ActiveSetQp } from './active-set.js';
import { PortfolioInfeasibleError, PortfolioInputError } from './errors.js';
import type { PortfolioConstraints } from './types.js';

/** The constraints of one request, resolved against the estimate's symbols. */
export interface ConstraintSet {
  n: number;
  symbols: readonly string[];
  lower: Float64Array;
  upper: Float64Array;
  /** Sector index per asset, −1 for none. */
  sectorOf: Int32Array;
  sectorNames: string[];
  /** Cap per sector index; +Infinity when the sector has none. */
  sectorCaps: Float64Array;
  /** The current weights (the turnover reference), or null when none were given. */
  current: Float64Array | null;
  /** Σ |current| over symbols outside the estimate: sold in full, so it counts as turnover. */
  currentOutside: number;
  turnoverLimit: number | null;
  maxHoldings: number | null;
  /** Whether min/max weights were given as one number each (for friendlier messages). */
  uniformMin: number | null;
  uniformMax: number | null;
  notes: string[];
}

const fmt = (value: number): string => `${Number(value.toPrecision(6))}`;

function finite(label: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PortfolioInputError(`${label} must be a finite number, got ${String(value)}`);
  }
  return value;
}

function perAsset(
  label: string,
  spec: number | Record<string, number> | undefined,
  symbols: readonly string[],
  index: Map<string, number>,
  fallback: number,
): Float64Array {
  const out = new Float64Array(symbols.length).fill(fallback);
  if (spec === undefined) return out;
  if (typeof spec === 'number') return out.fill(finite(label, spec));
  for (const [symbol, value] of Object.entries(spec)) {
    const i = index.get(symbol);
    if (i === undefined) {
      throw new PortfolioInputError(
        `${label} for ${symbol}: ${symbol} is not among the ${symbols.length} assets of the estimate`,
      );
    }
    out[i] = finite(`${label} for ${symbol}`, value);
  }
  return out;
}

/** Resolves and validates `constraints` for `symbols` (messages name the bad entry). */
export function resolveConstraints(
  symbols: readonly string[],
  constraints: PortfolioConstraints = {},
): ConstraintSet {
  const n = symbols.length;
  const index = new Map(symbols.map((s, i) => [s, i]));
  const notes: string[] = [];
  const lower = perAsset('min weight', constraints.minWeight, symbols, index, 0);
  const upper = perAsset('max weight', constraints.maxWeight, symbols, index, 1);
  for (let i = 0; i < n; i++) {
    if ((lower[i] as number) > (upper[i] as number)) {
      throw new PortfolioInputError(
        `min weight ${fmt(lower[i] as number)} > max weight ${fmt(upper[i] as number)} for ${symbols[i]}: no weight fits; make the min at most the max`,
      );
    }
  }
  const sectorOf = new Int32Array(n).fill(-1);
  const sectorNames: string[] = [];
  const sectorIndex = new Map<string, number>();
  if (constraints.sectors) {
    for (let i = 0; i < n; i++) {
      const sector = constraints.sectors[symbols[i] as string];
      if (sector === undefined || sector === '') continue;
      let s = sectorIndex.get(sector);
      if (s === undefined) {
        s = sectorNames.length;
        sectorIndex.set(sector, s);
        sectorNames.push(sector);
      }
      sectorOf[i] = s;
    }
  }
  const sectorCaps = new Float64Array(sectorNames.length).fill(Number.POSITIVE_INFINITY);
  const caps = constraints.sectorCaps;
  if (caps !== undefined) {
    if (!constraints.sectors) {
      throw new PortfolioInputError(
        'sector caps need sectors: pass constraints.sectors (symbol → sector name) as well',
      );
    }
    if (typeof caps === 'number') sectorCaps.fill(finite('sector cap', caps));
    else {
      const unknown: string[] = [];
      for (const [sector, cap] of Object.entries(caps)) {
        const s = sectorIndex.get(sector);
        if (s === undefined) unknown.push(sector);
        else sectorCaps[s] = finite(`sector cap for ${sector}`, cap);
      }
      if (unknown.length > 0) {
        notes.push(
          `sector caps for ${unknown.join(', ')} were ignored: no asset of the estimate is in ${unknown.length === 1 ? 'that sector' : 'those sectors'}`,
        );
      }
    }
  }
  let current: Float64Array | null = null;
  let currentOutside = 0;
  if (constraints.currentWeights) {
    current = new Float64Array(n);
    const outside: string[] = [];
    for (const [symbol, value] of Object.entries(constraints.currentWeights)) {
      const w = finite(`current weight of ${symbol}`, value);
      const i = index.get(symbol);
      if (i === undefined) {
        if (w !== 0) outside.push(symbol);
        currentOutside += Math.abs(w);
      } else current[i] = w;
    }
    if (outside.length > 0) {
      notes.push(
        `current holdings outside the estimate (${outside.join(', ')}, ${fmt(currentOutside)} in all) are sold: that counts as turnover`,
      );
    }
  }
  let turnoverLimit: number | null = null;
  if (constraints.maxTurnover !== undefined) {
    turnoverLimit = finite('max turnover', constraints.maxTurnover);
    if (turnoverLimit < 0) {
      throw new PortfolioInputError(
        `max turnover ${fmt(turnoverLimit)} is negative; use a number ≥ 0 (Σ |w − current|, e.g. 0.2)`,
      );
    }
    if (!current) current = new Float64Array(n);
  }
  let maxHoldings: number | null = null;
  if (constraints.maxHoldings !== undefined) {
    const k = constraints.maxHoldings;
    if (!Number.isSafeInteger(k) || k < 1) {
      throw new PortfolioInputError(`max holdings must be a whole number ≥ 1, got ${String(k)}`);
    }
    maxHoldings = k < n ? k : null;
  }
  return {
    n,
    symbols,
    lower,
    upper,
    sectorOf,
    sectorNames,
    sectorCaps,
    current,
    currentOutside,
    turnoverLimit,
    maxHoldings,
    uniformMin: typeof constraints.minWeight === 'number' ? constraints.minWeight : null,
    uniformMax: typeof constraints.maxWeight === 'number' ? constraints.maxWeight : null,
    notes,
  };
}

/**
 * Throws PortfolioInfeasibleError unless some w satisfies Σw = 1, lower ≤ w ≤ upper and the sector
 * caps (exact for disjoint sectors). `context` is appended to messages (e.g. the holdings limit).
 */
export function checkBudgetFeasible(
  set: ConstraintSet,
  lower: Float64Array,
  upper: Float64Array,
  context = '',
): void {
  const { n, sectorOf, sectorCaps, sectorNames } = set;
  let sumLower = 0;
  let sumUpper = 0;
  for (let i = 0; i < n; i++) {
    sumLower += lower[i] as number;
    sumUpper += upper[i] as number;
  }
  const tol = 1e-12 * n;
  if (sumLower > 1 + tol) {
    const head =
      set.uniformMin !== null && context === ''
        ? `min weight ${fmt(set.uniformMin)} × ${n} assets = ${fmt(sumLower)} > 1`
        : `bounds: min weights sum to ${fmt(sumLower)} > 1`;
    throw new PortfolioInfeasibleError(
      `${head}${context}: the weights cannot sum to 1; lower the min weights${set.uniformMin !== null && set.uniformMin > 0 ? ` to at most ${fmt(1 / n)}` : ''}`,
    );
  }
  if (sumUpper < 1 - tol) {
    const head =
      set.uniformMax !== null && context === ''
        ? `max weight ${fmt(set.uniformMax)} × ${n} assets = ${fmt(sumUpper)} < 1`
        : `bounds: max weights sum to ${fmt(sumUpper)} < 1`;
    throw new PortfolioInfeasibleError(
      `${head}${context}: the weights cannot sum to 1; raise the max weight${set.uniformMax !== null && context === '' ? ` to at least ${fmt(Math.ceil((1 / n) * 1e6) / 1e6)}` : 's'} or add assets`,
    );
  }
  const S = sectorNames.length;
  if (S === 0) return;
  const lowerBySector = new Float64Array(S);
  const upperBySector = new Float64Array(S);
  let unassigned = 0;
  for (let i = 0; i < n; i++) {
    const s = sectorOf[i] as number;
    if (s < 0) unassigned += upper[i] as number;
    else {
      lowerBySector[s] = (lowerBySector[s] as number) + (lower[i] as number);
      upperBySector[s] = (upperBySector[s] as number) + (upper[i] as number);
    }
  }
  let capacity = unassigned;
  const capped: string[] = [];
  for (let s = 0; s < S; s++) {
    const cap = sectorCaps[s] as number;
    if ((lowerBySector[s] as number) > cap + tol) {
      throw new PortfolioInfeasibleError(
        `sector ${sectorNames[s]}: its min weights sum to ${fmt(lowerBySector[s] as number)} > its cap ${fmt(cap)}${context}; lower the min weights or raise the cap`,
      );
    }
    capacity += Math.min(cap, upperBySector[s] as number);
    if (cap < (upperBySector[s] as number)) capped.push(`${sectorNames[s]} ${fmt(cap)}`);
  }
  if (capacity < 1 - tol) {
    const list = capped.length > 6 ? `${capped.slice(0, 6).join(', ')}, …` : capped.join(', ');
    throw new PortfolioInfeasibleError(
      `sector caps allow at most ${fmt(capacity)} < 1 in all over the sectors present (caps: ${list}${unassigned > 0 ? `; assets without a sector: ${fmt(unassigned)}` : ''})${context}: the weights cannot sum to 1; raise the caps or add assets outside the capped sectors`,
    );
  }
}

/**
 * A point with Σw = 1 inside the bounds and sector caps: every asset starts at its lower bound,
 * then assets in `order` are raised to their upper bound or their sector's room until the budget
 * is spent. Returns the point and the last asset raised (a natural free variable).
 */
export function greedyFill(
  set: ConstraintSet,
  lower: Float64Array,
  upper: Float64Array,
  order: readonly number[],
): { x: Float64Array; last: number } {
  const { sectorOf, sectorCaps } = set;
  const x = Float64Array.from(lower);
  let rest = 1;
  for (let i = 0; i < set.n; i++) rest -= lower[i] as number;
  const room = Float64Array.from(sectorCaps);
  for (let i = 0; i < set.n; i++) {
    const s = sectorOf[i] as number;
    if (s >= 0) room[s] = (room[s] as number) - (lower[i] as number);
  }
  let last = order[0] ?? 0;
  for (const i of order) {
    if (rest <= 0) break;
    const s = sectorOf[i] as number;
    const add = Math.min(
      (upper[i] as number) - (lower[i] as number),
      rest,
      s >= 0 ? (room[s] as number) : Number.POSITIVE_INFINITY,
    );
    if (!(add > 0)) continue;
    x[i] = (x[i] as number) + add;
    rest -= add;
    if (s >= 0) room[s] = (room[s] as number) - add;
    last = i;
  }
  if (rest > 1e-9) {
    throw new Error(`internal: greedy fill left ${rest} unallocated after the feasibility check`);
  }
  return { x, last };
}

/** The general rows: budget, binding-capable sector caps, and the turnover row when limited. */
export function buildRows(
  set: ConstraintSet,
  lower: Float64Array,
  upper: Float64Array,
): { rows: QpRow[]; absolute?: QpAbsoluteRow } {
  const { n, sectorOf, sectorCaps, sectorNames } = set;
  const rows: QpRow[] = [{ a: new Float64Array(n).fill(1), b: 1, kind: 'eq', label: 'budget' }];
  for (let s = 0; s < sectorNames.length; s++) {
    const cap = sectorCaps[s] as number;
    const a = new Float64Array(n);
    let most = 0;
    for (let i = 0; i < n; i++) {
      if (sectorOf[i] === s) {
        a[i] = 1;
        most += upper[i] as number;
      }
    }
    // A cap at or above the members' max weights can never bind.
    if (cap < most)
      rows.push({ a, b: cap, kind: 'le', label: `sector ${sectorNames[s]} cap ${fmt(cap)}` });
  }
  if (set.turnoverLimit === null || set.current === null) return { rows };
  const z = set.current;
  const a = new Float64Array(n);
  const kinked = new Uint8Array(n);
  let b = set.turnoverLimit - set.currentOutside;
  for (let i = 0; i < n; i++) {
    const zi = z[i] as number;
    if (zi <= (lower[i] as number)) {
      a[i] = 1; // |w − z| = w − z on the whole box
      b += zi;
    } else if (zi >= (upper[i] as number)) {
      a[i] = -1;
      b -= zi;
    } else kinked[i] = 1;
  }
  rows.push({ a, b, kind: 'le', label: `turnover ${fmt(set.turnoverLimit)}` });
  return { rows, absolute: { row: rows.length - 1, at: z, kinked } };
}

/** Σ |w − current| (+ holdings sold outside the estimate). */
export function turnoverOf(set: ConstraintSet, w: Float64Array): number {
  if (!set.current) return Number.NaN;
  let sum = set.currentOutside;
  for (let i = 0; i < set.n; i++) sum += Math.abs((w[i] as number) - (set.current[i] as number));
  return sum;
}

/** Whether w meets the budget, bounds and sector caps (not turnover) to `tol`. */
function meetsBudgetBounds(
  set: ConstraintSet,
  lower: Float64Array,
  upper: Float64Array,
  w: Float64Array,
  tol: number,
): boolean {
  let sum = 0;
  const bySector = new Float64Array(set.sectorNames.length);
  for (let i = 0; i < set.n; i++) {
    const wi = w[i] as number;
    if (wi < (lower[i] as number) || wi > (upper[i] as number)) return false;
    sum += wi;
    const s = set.sectorOf[i] as number;
    if (s >= 0) bySector[s] = (bySector[s] as number) + wi;
  }
  if (Math.abs(sum - 1) > tol) return false;
  for (let s = 0; s < bySector.length; s++) {
    if ((bySector[s] as number) > (set.sectorCaps[s] as number) + tol) return false;
  }
  return true;
}

/**
 * A feasible starting point for every constraint, turnover included. Without a turnover limit:
 * the greedy fill in `order`. With one: the current weights when they already meet the other
 * constraints (turnover 0), else a phase 1 — minimise M·θ + ½θ² + ½‖w − w_g‖² subject to every
 * row, the turnover row relaxed to Σ|w − current| − θ ≤ limit, θ ≥ 0 — whose optimum has θ = 0
 * exactly when the limit can be met (a linear penalty whose coefficient M exceeds the row's
 * multiplier is exact). Otherwise PortfolioInfeasibleError names the least turnover (to within
 * O(1/M) of it).
 */
export function feasibleStart(
  set: ConstraintSet,
  lower: Float64Array,
  upper: Float64Array,
  order: readonly number[],
  context = '',
): { x: Float64Array; hint: number[] } {
  checkBudgetFeasible(set, lower, upper, context);
  const greedy = greedyFill(set, lower, upper, order);
  if (set.turnoverLimit === null || set.current === null) {
    return { x: greedy.x, hint: [greedy.last] };
  }
  const limit = set.turnoverLimit;
  if (turnoverOf(set, greedy.x) <= limit) return { x: greedy.x, hint: [greedy.last] };
  if (meetsBudgetBounds(set, lower, upper, set.current, 1e-12) && set.currentOutside <= limit) {
    return { x: Float64Array.from(set.current), hint: [greedy.last] };
  }
  const { n } = set;
  const n1 = n + 1;
  // Unit curvature on every variable keeps the subproblems well conditioned; the linear penalty M
  // exceeds any turnover multiplier the ½‖w − w_g‖² term can produce (weights differ by O(1)).
  let span = 1;
  for (let i = 0; i < n; i++) span = Math.max(span, (upper[i] as number) - (lower[i] as number));
  const penalty = 1e4 * span;
  const Q = new Float64Array(n1 * n1);
  for (let i = 0; i < n1; i++) Q[i * n1 + i] = 1;
  const c = new Float64Array(n1);
  for (let i = 0; i < n; i++) c[i] = greedy.x[i] as number;
  c[n] = -penalty;
  const lo = new Float64Array(n1);
  lo.set(lower);
  const hi = new Float64Array(n1);
  hi.set(upper);
  hi[n] = Number.POSITIVE_INFINITY;
  const { rows, absolute } = buildRows(set, lower, upper);
  const widen = (a: Float64Array, last: number): Float64Array => {
    const out = new Float64Array(n1);
    out.set(a);
    out[n] = last;
    return out;
  };
  const rows1 = rows.map((row, r) => ({
    ...row,
    a: widen(row.a, absolute && r === absolute.row ? -1 : 0),
  }));
  const abs1 = absolute
    ? {
        row: absolute.row,
        at: widen(absolute.at, 0),
        kinked: Uint8Array.from([...absolute.kinked, 0]),
      }
    : undefined;
  const x0 = widen(greedy.x, Math.max(0, turnoverOf(set, greedy.x) - limit));
  const solver = new ActiveSetQp({
    n: n1,
    Q,
    c,
    lower: lo,
    upper: hi,
    rows: rows1,
    absolute: abs1,
    names: [...set.symbols, 'turnover excess'],
  });
  solver.start(x0, [greedy.last, n]);
  solver.solve();
  const excess = solver.x[n] as number;
  if (excess > 1e-9) {
    throw new PortfolioInfeasibleError(
      `turnover limit ${fmt(limit)} is below ${fmt(limit + excess)}, the least turnover Σ|w − current| that meets the other constraints${context}; raise --max-turnover to at least that or loosen the other constraints`,
    );
  }
  return { x: solver.x.slice(0, n), hint: [greedy.last] };
}
