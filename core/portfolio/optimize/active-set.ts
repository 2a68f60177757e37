/**
 * A dense primal active-set solver for the convex quadratic programs of portfolio optimisation:
 *
 *   minimise ½ x'Qx − c'x   subject to   a_r'x = b_r (r ∈ E),   a_r'x ≤ b_r (r ∈ I),   l ≤ x ≤ u,
 *
 * with Q symmetric positive definite, a handful of general rows and simple bounds on every
 * variable. It is Algorithm 16.3 of Nocedal & Wright, Numerical Optimization (2nd ed., 2006),
 * organised for n in the hundreds and a few general rows:
 *
 * - Variables at a bound are eliminated: the equality-constrained subproblem of each iteration is
 *   solved on the free set F only. Q_FF = L L' is kept as a Cholesky factor that grows by one row
 *   in O(|F|²) when a variable is freed and shrinks by Givens rotations in O(|F|²) when one hits a
 *   bound, so Q is never factored whole (a full Cholesky at n = 490 costs ~20 ms in JavaScript;
 *   a long-only minimum-variance solve over 493 S&P 500 stocks, 27 of them held, costs ~0.7 ms).
 *   The start is a small feasible point (the caller's greedy fill: lowest-variance assets first),
 *   so F grows from a few assets rather than shrinking from n.
 * - The general rows of the working set W enter through the Schur complement S = A_F Q_FF⁻¹ A_F'
 *   (|W| × |W|, rebuilt each iteration from V = L⁻¹ A_F'): the step is
 *     S ν = −V'y − ρ,   p_F = −L'⁻¹(y + V ν),   y = L⁻¹ g_F,   g = Qx − c,
 *   where ρ = b_W − A_W x is the residual of the working rows, so that round-off drift off the
 *   equality rows is corrected on every step. ν are the multipliers of the rows (∇f + A'ν = 0).
 * - The gradient g = Qx − c is updated in O(n·|F|) per step (g += Q[:,F] α p_F), which is what the
 *   multiplier test over the fixed variables needs; it is recomputed in full (O(n²)) before the
 *   solver declares optimality, and the final step then also removes accumulated drift.
 * - Multiplier test: a fixed variable i at its lower (upper) bound may leave it when its reduced
 *   gradient g_i + Σ_r ν_r a_ri is negative (positive); an inequality row may leave W when ν_r < 0.
 *   The most negative directional derivative leaves; once F is large (|F| ≥ 32) the ⌊|F|/16⌋
 *   variables with the most negative ones leave together, so an optimum holding hundreds of assets
 *   takes tens of rounds rather than two iterations per asset (490 held: ~50 ms instead of ~300).
 *   After a full step the multipliers that step solved for are the new point's multipliers, so the
 *   test needs no new solve. Ties in the ratio test go to the lowest index (Bland-like); a variable
 *   that is freed and blocks again at once without moving is barred until the next real step;
 *   after many degenerate steps the choice switches to the lowest index, one at a time.
 * - Step components at round-off level (|p_i| ≤ 1e-13‖p‖∞) do not block, so a free variable that
 *   sits on its bound, pinned there by the rows, is not removed on noise; should the working rows
 *   still become dependent, the inequality rows the others imply are dropped (they keep their
 *   value on every step until a variable is freed).
 *
 * One general row may be an absolute-value row Σ_{i∈K} |x_i − z_i| + Σ_{i∉K} a_i x_i ≤ b (the
 * turnover limit against the current weights z). It is solved exactly: each kinked variable lives
 * on one side of its kink z_i at a time (its "segment", with z_i as an extra bound), so the row is
 * linear in every subproblem; a variable that stops at its kink is fixed there, and the multiplier
 * test lets it leave towards the side whose directional derivative d·r_i + π is negative, where π
 * is the row's multiplier (the subgradient condition |r_i| ≤ π holds at an optimum at the kink).
 *
 * The caller supplies a feasible starting point (see `start`); the solver keeps its working set and
 * factor between calls, so a problem re-solved with another linear term c (a frontier walk) starts
 * warm. `segment` returns how the optimum moves as c moves along a direction, and over what range
 * that working set stays optimal: the critical-line view of parametric QP.
 */
import { PortfolioSolverError } from './errors.js';

/** A general linear row: a'x = b (`eq`) or a'x ≤ b (`le`). */
export interface QpRow {
  /** Coefficients, one per variable. */
  a: Float64Array;
  b: number;
  kind: 'eq' | 'le';
  /** Names the row in notes and errors, e.g. "budget" or "sector Tech cap". */
  label: string;
}

/** Marks one `le` row as Σ_{i: kinked} |x_i − at_i| + Σ_{others} a_i x_i ≤ b. */
export interface QpAbsoluteRow {
  /** Index of the row in `rows`; its coefficients at kinked variables are ignored. */
  row: number;
  /** The kink of each variable (the current weight). */
  at: Float64Array;
  /** 1 where the variable's term is |x_i − at_i| (needs lower_i < at_i < upper_i), else 0. */
  kinked: Uint8Array;
}

/** A convex QP: minimise ½ x'Qx − c'x subject to the rows and lower ≤ x ≤ upper. */
export interface QpProblem {
  n: number;
  /** n×n row-major, symmetric positive definite (only the rows/columns of free variables are read). */
  Q: Float64Array;
  c: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  rows: QpRow[];
  absolute?: QpAbsoluteRow;
  /** Variable names for error messages (asset symbols). */
  names?: readonly string[];
}

/**
 * How the optimum x(Δ) moves when c becomes c + Δ·dc, valid for Δ in [lo, hi] (the working set
 * stays optimal there): x(Δ) = x + Δ·beta exactly.
 */
export interface QpSegment {
  /** The optimum at Δ = 0 (a copy). */
  x: Float64Array;
  /** dx/dΔ (zero on fixed variables). */
  beta: Float64Array;
  /** Q·x and Q·beta, for quadratic forms along the segment. */
  qx: Float64Array;
  qBeta: Float64Array;
  lo: number;
  hi: number;
  /** Whether beta is exactly 0 (dc lies in the span of the working rows: a vertex segment). */
  constant: boolean;
}

const NOT_FREE = -1;

/** The solver; see the file's doc comment. State persists between `solve` calls (warm starts). */
export class ActiveSetQp {
  /** Number of variables. */
  readonly n: number;
  /** Total iterations over every `solve` call. */
  iterations = 0;
  /** The current point (read-only for callers). */
  readonly x: Float64Array;

  private readonly Q: Float64Array;
  private readonly c: Float64Array;
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  private readonly names: readonly string[] | undefined;
  private readonly m: number;
  private readonly rowA: Float64Array[];
  private readonly rowB: Float64Array;
  private readonly rowEq: Uint8Array;
  private readonly rowLabel: string[];
  private readonly rowActive: Uint8Array;
  private readonly absRow: number;
  private readonly at: Float64Array;
  private readonly kinked: Uint8Array;
  /** Side of its kink for kinked variables: +1 above, −1 below, 0 fixed at the kink. */
  private readonly side: Int8Array;
  private readonly g: Float64Array;
  private readonly free: Int32Array;
  private readonly pos: Int32Array;
  private k = 0;
  private cap: number;
  private L: Float64Array;
  /** Active rows in working order, and their count. */
  private readonly act: Int32Array;
  private mW = 0;
  private readonly nu: Float64Array;
  private readonly V: Float64Array;
  private readonly S: Float64Array;
  private readonly y: Float64Array;
  private readonly p: Float64Array;
  private readonly taboo: Uint8Array;
  private started = false;
  /** ‖L⁻¹ g_F‖∞ and ‖L⁻¹(g_F + A'ν)‖∞ of the last step: their ratio tells a structural zero step. */
  private lastYNorm = 0;
  private lastZNorm = 0;

  /**
   * Takes the problem: c and the rows are copied (the absolute row's coefficients change as
   * variables cross their kinks); Q, the bounds and the kinks are read in place, not modified.
   */
  constructor(problem: QpProblem) {
    const { n } = problem;
    this.n = n;
    this.Q = problem.Q;
    this.c = Float64Array.from(problem.c);
    this.lower = problem.lower;
    this.upper = problem.upper;
    this.names = problem.names;
    this.m = problem.rows.length;
    this.rowA = problem.rows.map((row) => Float64Array.from(row.a));
    this.rowB = Float64Array.from(problem.rows.map((row) => row.b));
    this.rowEq = Uint8Array.from(problem.rows.map((row) => (row.kind === 'eq' ? 1 : 0)));
    this.rowLabel = problem.rows.map((row) => row.label);
    this.rowActive = new Uint8Array(this.m);
    this.absRow = problem.absolute?.row ?? -1;
    this.at = problem.absolute?.at ?? new Float64Array(n);
    this.kinked = problem.absolute?.kinked ?? new Uint8Array(n);
    this.side = new Int8Array(n);
    this.x = new Float64Array(n);
    this.g = new Float64Array(n);
    this.free = new Int32Array(n);
    this.pos = new Int32Array(n).fill(NOT_FREE);
    this.cap = Math.min(n, 64);
    this.L = new Float64Array(this.cap * this.cap);
    this.act = new Int32Array(Math.max(1, this.m));
    this.nu = new Float64Array(Math.max(1, this.m));
    this.V = new Float64Array(Math.max(1, this.m) * n);
    this.S = new Float64Array(Math.max(1, this.m * this.m));
    this.y = new Float64Array(n);
    this.p = new Float64Array(n);
    this.taboo = new Uint8Array(n);
  }

  /** Number of free variables (strictly between their bounds, or freed to satisfy a row). */
  get freeCount(): number {
    return this.k;
  }

  /** Labels of the inequality rows in the working set (the binding ones at an optimum). */
  activeInequalities(): string[] {
    const out: string[] = [];
    for (let a = 0; a < this.mW; a++) {
      const r = this.act[a] as number;
      if (!this.rowEq[r]) out.push(this.rowLabel[r] as string);
    }
    return out;
  }

  /** ½ x'Qx − c'x at the current point (from the maintained gradient: ½ x'(g − c)). */
  objective(): number {
    let sum = 0;
    for (let i = 0; i < this.n; i++) {
      sum += (this.x[i] as number) * ((this.g[i] as number) - (this.c[i] as number));
    }
    return sum / 2;
  }

  /** The value of row r at the current point (the absolute row reads |x_i − at_i| at its kinks). */
  rowValue(r: number): number {
    const a = this.rowA[r] as Float64Array;
    const { x, n } = this;
    let sum = 0;
    if (r === this.absRow) {
      for (let i = 0; i < n; i++) {
        const xi = x[i] as number;
        sum += this.kinked[i] ? Math.abs(xi - (this.at[i] as number)) : (a[i] as number) * xi;
      }
    } else {
      for (let i = 0; i < n; i++) sum += (a[i] as number) * (x[i] as number);
    }
    return sum;
  }

  /**
   * Sets the starting point x0, which must satisfy every row and bound (to ~1e-9), and builds the
   * working set: variables strictly inside their bounds are free, the rest fixed; every equality
   * row and every inequality row that holds with equality joins W unless it is linearly dependent
   * on W over the free variables. An equality row with no free variable to move frees a fixed one
   * (those in `hint` first), so a start with every variable at a bound is fine.
   */
  start(x0: Float64Array, hint: readonly number[] = []): void {
    const { n } = this;
    for (let i = 0; i < n; i++) {
      const lo = this.lower[i] as number;
      const hi = this.upper[i] as number;
      let xi = x0[i] as number;
      const slack = 1e-9 * Math.max(1, Math.abs(xi));
      if (!(xi >= lo - slack && xi <= hi + slack)) {
        throw new Error(`internal: start point ${xi} outside [${lo}, ${hi}] at ${this.name(i)}`);
      }
      xi = Math.min(hi, Math.max(lo, xi));
      this.x[i] = xi;
      const z = this.at[i] as number;
      this.side[i] = this.kinked[i] ? (xi > z ? 1 : xi < z ? -1 : 0) : 0;
    }
    if (this.absRow >= 0) {
      const a = this.rowA[this.absRow] as Float64Array;
      for (let i = 0; i < n; i++) if (this.kinked[i]) a[i] = this.side[i] as number;
    }
    this.k = 0;
    this.pos.fill(NOT_FREE);
    this.taboo.fill(0);
    for (let i = 0; i < n; i++) {
      const xi = this.x[i] as number;
      if (this.kinked[i] && this.side[i] === 0) continue;
      if (xi > this.segLo(i) && xi < this.segHi(i)) this.appendFree(i);
    }
    this.refreshGradient();
    this.rowActive.fill(0);
    this.mW = 0;
    for (let r = 0; r < this.m; r++) {
      const value = this.rowValue(r);
      const b = this.rowB[r] as number;
      const tol = 1e-9 * Math.max(1, Math.abs(b));
      if (this.rowEq[r] ? Math.abs(value - b) > tol : value > b + tol) {
        throw new Error(`internal: start point violates ${this.rowLabel[r]}: ${value} vs ${b}`);
      }
    }
    for (let r = 0; r < this.m; r++) {
      if (!this.rowEq[r]) continue;
      if (this.independent(r)) {
        this.activate(r);
        continue;
      }
      const candidates = [...hint];
      for (let i = 0; i < n; i++) candidates.push(i);
      const a = this.rowA[r] as Float64Array;
      for (const j of candidates) {
        if (this.pos[j] !== NOT_FREE || (this.lower[j] as number) === (this.upper[j] as number))
          continue;
        if (a[j] === 0 && !(r === this.absRow && this.kinked[j])) continue;
        this.freeAtBound(j);
        if (this.independent(r)) {
          this.activate(r);
          break;
        }
        this.removeFree(this.pos[j] as number);
      }
      // A row still dependent on the working rows over every movable variable keeps its value on
      // every step, so leaving it out of W is safe.
    }
    for (let r = 0; r < this.m; r++) {
      if (this.rowEq[r]) continue;
      const b = this.rowB[r] as number;
      if (this.rowValue(r) >= b - 1e-12 * Math.max(1, Math.abs(b)) && this.independent(r))
        this.activate(r);
    }
    this.started = true;
  }

  /** Replaces the linear term c (the working set and point are kept: a warm start). */
  setLinear(c: Float64Array): void {
    const { g } = this;
    for (let i = 0; i < this.n; i++) {
      g[i] = (g[i] as number) + (this.c[i] as number) - (c[i] as number);
      this.c[i] = c[i] as number;
    }
  }

  /**
   * Runs the active-set iterations to the optimum of the current problem and returns how many it
   * took. Throws PortfolioSolverError past the iteration cap (10·(n + rows) + 200).
   */
  solve(): number {
    if (!this.started) throw new Error('internal: ActiveSetQp.solve before start');
    const { n, x, g, p } = this;
    const maxIterations = 10 * (n + this.m) + 200;
    let iterations = 0;
    let fresh = false;
    // After a full step with no blocker, x is the working set's minimiser and the multipliers of
    // that step are its multipliers: no new solve is needed (and what one would add is round-off).
    let lastFull = false;
    let degenerate = 0;
    let released: number[] = [];
    for (;;) {
      if (iterations >= maxIterations) {
        this.iterations += iterations;
        throw new PortfolioSolverError(
          `the active-set solver did not converge in ${maxIterations} iterations (${n} assets, ${this.k} free); the covariance may be nearly singular: try a shrinkage estimator such as Ledoit–Wolf`,
        );
      }
      iterations++;
      let atMinimiser = lastFull;
      let pNorm = 0;
      if (!atMinimiser) {
        if (!this.computeStep(g, true) && !(this.repairRank() && this.computeStep(g, true))) {
          this.iterations += iterations;
          throw new PortfolioSolverError(
            'the active-set solver met linearly dependent constraints it could not resolve (rows: ' +
              `${this.activeLabels().join(', ')}); please report this input`,
          );
        }
        let xNorm = 1;
        for (let j = 0; j < this.k; j++) {
          pNorm = Math.max(pNorm, Math.abs(p[j] as number));
          xNorm = Math.max(xNorm, Math.abs(x[this.free[j] as number] as number));
        }
        if (pNorm <= 1e-11 * xNorm) {
          // The working set's minimiser up to round-off: polish with the tiny step.
          if (pNorm > 0) this.takeStep(1);
          atMinimiser = true;
        }
      }
      if (atMinimiser) {
        const bland = degenerate > 2 * (this.m + 2);
        // One at a time while F is small (sparse optima stay cheap); in batches once F is large.
        const leaving = this.pickLeaving(bland, bland ? 1 : Math.max(1, this.k >> 4));
        lastFull = false;
        if (leaving === null) {
          if (fresh) break;
          // Confirm on the exact gradient (the maintained one carries round-off from every step).
          this.refreshGradient();
          fresh = true;
          continue;
        }
        fresh = false;
        if (leaving.row >= 0) {
          this.deactivate(leaving.row);
          released = [];
        } else {
          for (const { variable, direction } of leaving.variables)
            this.release(variable, direction);
          released = leaving.variables.map((v) => v.variable);
        }
        continue;
      }
      // Ratio test: the longest step in [0, 1] that keeps every bound and inactive row.
      const k = this.k;
      let alpha = 1;
      let blockVar = -1;
      let blockBound = 0;
      // Components at round-off level (a variable the rows pin, moved by noise) do not block.
      const noise = 1e-13 * pNorm;
      for (let j = 0; j < k; j++) {
        const i = this.free[j] as number;
        const pj = p[j] as number;
        if (pj < -noise) {
          const lo = this.segLo(i);
          const step = Math.max(0, (lo - (x[i] as number)) / pj);
          if (step < alpha) {
            alpha = step;
            blockVar = i;
            blockBound = lo;
          }
        } else if (pj > noise) {
          const hi = this.segHi(i);
          const step = Math.max(0, (hi - (x[i] as number)) / pj);
          if (step < alpha) {
            alpha = step;
            blockVar = i;
            blockBound = hi;
          }
        }
      }
      let blockRow = -1;
      for (let r = 0; r < this.m; r++) {
        if (this.rowActive[r]) continue;
        const a = this.rowA[r] as Float64Array;
        let ap = 0;
        for (let j = 0; j < k; j++) ap += (a[this.free[j] as number] as number) * (p[j] as number);
        if (this.rowEq[r]) {
          // An equality row left out of W as dependent must not move: block at once if it would.
          if (Math.abs(ap) > 1e-14 * pNorm) {
            alpha = 0;
            blockRow = r;
            blockVar = -1;
          }
          continue;
        }
        if (ap <= 1e-14 * pNorm) continue;
        const step = Math.max(0, ((this.rowB[r] as number) - this.rowValue(r)) / ap);
        if (step < alpha) {
          alpha = step;
          blockRow = r;
          blockVar = -1;
        }
      }
      if (alpha > 0) {
        this.takeStep(alpha);
        this.taboo.fill(0);
        degenerate = 0;
        fresh = false;
      } else {
        degenerate++;
      }
      lastFull = alpha === 1 && blockRow < 0 && blockVar < 0;
      if (blockRow >= 0) {
        this.activate(blockRow);
        fresh = false;
      } else if (blockVar >= 0) {
        // A variable freed by the last multiplier test that blocks at once without moving: its
        // multiplier was round-off; bar it until the next real step.
        if (alpha === 0 && released.includes(blockVar)) this.taboo[blockVar] = 1;
        this.fixAt(blockVar, blockBound);
        fresh = false;
      }
      released = [];
    }
    this.iterations += iterations;
    return iterations;
  }

  /**
   * How the optimum moves when c becomes c + Δ·dc (call right after `solve`): x(Δ) = x + Δ·beta
   * while Δ ∈ [lo, hi], the range over which the working set stays primal and dual feasible.
   */
  segment(dc: Float64Array): QpSegment {
    const { n, k, free } = this;
    if (!this.computeStep(this.g, true)) throw new Error('internal: singular working set');
    const nu0 = this.nu.slice(0, this.mW);
    // β solves the same KKT system with g replaced by −dc and no residual.
    const negDc = new Float64Array(n);
    for (let i = 0; i < n; i++) negDc[i] = -(dc[i] as number);
    if (!this.computeStep(negDc, false)) throw new Error('internal: singular working set');
    const nu1 = this.nu.slice(0, this.mW);
    const beta = new Float64Array(n);
    // dc_F in the span of the working rows makes β = 0 exactly (a vertex of the frontier): what is
    // left after projecting out the rows is then round-off, and is dropped.
    const constant = this.lastZNorm <= 1e-10 * this.lastYNorm;
    if (!constant) for (let j = 0; j < k; j++) beta[free[j] as number] = this.p[j] as number;
    const qBeta = new Float64Array(n);
    this.addColumns(qBeta, beta, 1);
    const qx = new Float64Array(n);
    for (let i = 0; i < n; i++) qx[i] = (this.g[i] as number) + (this.c[i] as number);
    let lo = Number.NEGATIVE_INFINITY;
    let hi = Number.POSITIVE_INFINITY;
    // h0 + Δ·h1 ≥ 0 must hold on the segment.
    const keep = (h0: number, h1: number): void => {
      const base = Math.max(0, h0);
      if (h1 < 0) hi = Math.min(hi, base / -h1);
      else if (h1 > 0) lo = Math.max(lo, -base / h1);
    };
    const { x } = this;
    for (let j = 0; j < k; j++) {
      const i = free[j] as number;
      const b = beta[i] as number;
      keep((x[i] as number) - this.segLo(i), b);
      keep(this.segHi(i) - (x[i] as number), -b);
    }
    let pi0 = 0;
    let pi1 = 0;
    for (let a = 0; a < this.mW; a++) {
      const r = this.act[a] as number;
      if (r === this.absRow) {
        pi0 = nu0[a] as number;
        pi1 = nu1[a] as number;
      }
      if (!this.rowEq[r]) keep(nu0[a] as number, nu1[a] as number);
    }
    for (let r = 0; r < this.m; r++) {
      if (this.rowActive[r]) continue;
      const a = this.rowA[r] as Float64Array;
      let ab = 0;
      for (let j = 0; j < k; j++)
        ab += (a[free[j] as number] as number) * (beta[free[j] as number] as number);
      keep((this.rowB[r] as number) - this.rowValue(r), -ab);
    }
    for (let i = 0; i < n; i++) {
      if (this.pos[i] !== NOT_FREE) continue;
      let r0 = this.g[i] as number;
      let r1 = (qBeta[i] as number) - (dc[i] as number);
      for (let a = 0; a < this.mW; a++) {
        const coef = (this.rowA[this.act[a] as number] as Float64Array)[i] as number;
        r0 += (nu0[a] as number) * coef;
        r1 += (nu1[a] as number) * coef;
      }
      const xi = x[i] as number;
      const atKink = this.kinked[i] === 1 && this.side[i] === 0;
      if (xi < (this.upper[i] as number)) keep(r0 + (atKink ? pi0 : 0), r1 + (atKink ? pi1 : 0));
      if (xi > (this.lower[i] as number)) keep(-r0 + (atKink ? pi0 : 0), -r1 + (atKink ? pi1 : 0));
    }
    return {
      x: Float64Array.from(x),
      beta,
      qx,
      qBeta,
      lo: Math.min(lo, 0),
      hi: Math.max(hi, 0),
      constant,
    };
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────────

  private name(i: number): string {
    return this.names?.[i] ?? `variable ${i}`;
  }

  private activeLabels(): string[] {
    const out: string[] = [];
    for (let a = 0; a < this.mW; a++) out.push(this.rowLabel[this.act[a] as number] as string);
    return out;
  }

  /** Lower end of variable i's segment (its kink when it lives above the kink). */
  private segLo(i: number): number {
    return this.kinked[i] && (this.side[i] as number) > 0
      ? (this.at[i] as number)
      : (this.lower[i] as number);
  }

  /** Upper end of variable i's segment. */
  private segHi(i: number): number {
    return this.kinked[i] && (this.side[i] as number) < 0
      ? (this.at[i] as number)
      : (this.upper[i] as number);
  }

  /** g = Qx − c in full: Σ_j x_j Q[j,:] over the nonzero x_j, O(n · nnz(x)) (Q is symmetric). */
  private refreshGradient(): void {
    const { n, Q, x, c, g } = this;
    for (let i = 0; i < n; i++) g[i] = -(c[i] as number);
    for (let j = 0; j < n; j++) {
      const xj = x[j] as number;
      if (xj === 0) continue;
      const row = j * n;
      for (let i = 0; i < n; i++) g[i] = (g[i] as number) + xj * (Q[row + i] as number);
    }
  }

  /** out += scale · Q[:,F] v_F (Q symmetric: rows of the free variables, contiguous). */
  private addColumns(out: Float64Array, v: Float64Array, scale: number): void {
    const { n, Q, free, k } = this;
    for (let j = 0; j < k; j++) {
      const i = free[j] as number;
      const coef = scale * (v[i] as number);
      if (coef === 0) continue;
      const row = i * n;
      for (let t = 0; t < n; t++) out[t] = (out[t] as number) + coef * (Q[row + t] as number);
    }
  }

  /** x_F += α p_F and g += α Q[:,F] p_F; clamps to the segments (round-off only). */
  private takeStep(alpha: number): void {
    const { n, Q, free, k, p, x, g } = this;
    for (let j = 0; j < k; j++) {
      const i = free[j] as number;
      const d = alpha * (p[j] as number);
      if (d === 0) continue;
      const xi = Math.min(this.segHi(i), Math.max(this.segLo(i), (x[i] as number) + d));
      const moved = xi - (x[i] as number);
      x[i] = xi;
      const row = i * n;
      for (let t = 0; t < n; t++) g[t] = (g[t] as number) + moved * (Q[row + t] as number);
    }
  }

  /** Grows the factor cap (doubling), copying L. */
  private ensureCapacity(size: number): void {
    if (size <= this.cap) return;
    let cap = this.cap;
    while (cap < size) cap = Math.min(this.n, cap * 2);
    const L = new Float64Array(cap * cap);
    for (let i = 0; i < this.k; i++) {
      L.set(this.L.subarray(i * this.cap, i * this.cap + i + 1), i * cap);
    }
    this.L = L;
    this.cap = cap;
  }

  /** Adds variable j to F: one new row of L, O(|F|²). */
  private appendFree(j: number): void {
    const { n, Q, free } = this;
    const k = this.k;
    this.ensureCapacity(k + 1);
    const { L, cap } = this;
    const base = k * cap;
    const qrow = j * n;
    for (let m = 0; m < k; m++) L[base + m] = Q[qrow + (free[m] as number)] as number;
    let d2 = Q[qrow + j] as number;
    for (let i = 0; i < k; i++) {
      const row = i * cap;
      let s = L[base + i] as number;
      for (let m = 0; m < i; m++) s -= (L[row + m] as number) * (L[base + m] as number);
      s /= L[row + i] as number;
      L[base + i] = s;
      d2 -= s * s;
    }
    const qjj = Q[qrow + j] as number;
    if (!(d2 > 1e-13 * qjj)) {
      const others = Array.from(free.subarray(0, Math.min(k, 8)), (i) => this.name(i));
      throw new PortfolioSolverError(
        `the covariance is singular or nearly so: ${this.name(j)} is (almost) a combination of ${others.join(', ')}${k > 8 ? ', …' : ''} (pivot ${d2.toExponential(2)} vs variance ${qjj.toExponential(2)}); use a shrinkage estimator such as Ledoit–Wolf or a longer history`,
      );
    }
    L[base + k] = Math.sqrt(d2);
    free[k] = j;
    this.pos[j] = k;
    this.k = k + 1;
  }

  /** Removes the variable at position q of F: deletes row q of L and restores it with Givens rotations. */
  private removeFree(q: number): void {
    const { L, cap, free } = this;
    const k = this.k;
    this.pos[free[q] as number] = NOT_FREE;
    for (let i = q + 1; i < k; i++) {
      L.copyWithin((i - 1) * cap, i * cap, i * cap + i + 1);
      const v = free[i] as number;
      free[i - 1] = v;
      this.pos[v] = i - 1;
    }
    // Row i (now at i − 1) has one entry right of the diagonal for i − 1 ≥ q: rotate it away.
    for (let j = q; j < k - 1; j++) {
      const rj = j * cap;
      const a = L[rj + j] as number;
      const b = L[rj + j + 1] as number;
      if (b === 0) {
        if (a < 0) for (let i = j; i < k - 1; i++) L[i * cap + j] = -(L[i * cap + j] as number);
        continue;
      }
      const r = Math.hypot(a, b);
      const cs = a / r;
      const sn = b / r;
      for (let i = j; i < k - 1; i++) {
        const ri = i * cap;
        const u = L[ri + j] as number;
        const v = L[ri + j + 1] as number;
        L[ri + j] = cs * u + sn * v;
        L[ri + j + 1] = -sn * u + cs * v;
      }
      L[rj + j + 1] = 0;
    }
    this.k = k - 1;
  }

  /** Frees a fixed variable where it stands (rank repair at the start). */
  private freeAtBound(j: number): void {
    if (this.kinked[j] && this.side[j] === 0) {
      const d = (this.x[j] as number) < (this.upper[j] as number) ? 1 : -1;
      this.setSide(j, d);
    }
    this.appendFree(j);
  }

  private setSide(j: number, d: number): void {
    this.side[j] = d;
    if (this.absRow >= 0) (this.rowA[this.absRow] as Float64Array)[j] = d;
  }

  /** Lets fixed variable j move in direction d (±1). */
  private release(j: number, d: number): void {
    if (this.kinked[j] && this.side[j] === 0) this.setSide(j, d);
    this.appendFree(j);
  }

  /** Fixes free variable i at `value` (one end of its segment). */
  private fixAt(i: number, value: number): void {
    const dx = value - (this.x[i] as number);
    if (dx !== 0) {
      // Exact landing on the bound; the gradient follows the (round-off sized) move.
      this.x[i] = value;
      const row = i * this.n;
      for (let t = 0; t < this.n; t++)
        this.g[t] = (this.g[t] as number) + dx * (this.Q[row + t] as number);
    }
    if (this.kinked[i] && value === (this.at[i] as number)) this.setSide(i, 0);
    this.removeFree(this.pos[i] as number);
  }

  private activate(r: number): void {
    this.rowActive[r] = 1;
    this.act[this.mW] = r;
    this.mW++;
  }

  private deactivate(r: number): void {
    this.rowActive[r] = 0;
    let w = 0;
    for (let a = 0; a < this.mW; a++) {
      const s = this.act[a] as number;
      if (s !== r) this.act[w++] = s;
    }
    this.mW = w;
  }

  /** Solves L u = u in place over the first k entries. */
  private forward(u: Float64Array): void {
    const { L, cap, k } = this;
    for (let i = 0; i < k; i++) {
      const row = i * cap;
      let s = u[i] as number;
      for (let m = 0; m < i; m++) s -= (L[row + m] as number) * (u[m] as number);
      u[i] = s / (L[row + i] as number);
    }
  }

  /** Solves L' v = z for v, writing v into out (z is overwritten). */
  private backward(z: Float64Array, out: Float64Array): void {
    const { L, cap, k } = this;
    for (let i = k - 1; i >= 0; i--) {
      const row = i * cap;
      const vi = (z[i] as number) / (L[row + i] as number);
      out[i] = vi;
      for (let m = 0; m < i; m++) z[m] = (z[m] as number) - (L[row + m] as number) * vi;
    }
  }

  /** Fills V's column a with L⁻¹ a_{r,F}. */
  private columnV(a: number, r: number): Float64Array {
    const { n, k, free } = this;
    const v = this.V.subarray(a * n, a * n + k);
    const row = this.rowA[r] as Float64Array;
    for (let j = 0; j < k; j++) v[j] = row[free[j] as number] as number;
    this.forward(v);
    return v;
  }

  /** Cholesky of S = V'V (mW × mW) in place; false when a pivot vanishes (dependent rows). */
  private factorS(mW: number): boolean {
    const { S, V, n, k } = this;
    for (let a = 0; a < mW; a++) {
      for (let b = 0; b <= a; b++) {
        let s = 0;
        const va = a * n;
        const vb = b * n;
        for (let j = 0; j < k; j++) s += (V[va + j] as number) * (V[vb + j] as number);
        S[a * mW + b] = s;
      }
    }
    for (let a = 0; a < mW; a++) {
      const raw = S[a * mW + a] as number;
      for (let b = 0; b <= a; b++) {
        let s = S[a * mW + b] as number;
        for (let m = 0; m < b; m++) s -= (S[a * mW + m] as number) * (S[b * mW + m] as number);
        if (a === b) {
          if (!(s > 1e-12 * raw) || !(raw > 0)) return false;
          S[a * mW + a] = Math.sqrt(s);
        } else {
          S[a * mW + b] = s / (S[b * mW + b] as number);
        }
      }
    }
    return true;
  }

  /**
   * Restores a linearly independent working set by dropping inequality rows that the others imply
   * over the free variables (latest first); such a row keeps its value on every later step until a
   * variable is freed, and the ratio test re-adds it if it would then be violated. False when no
   * inequality row can go.
   */
  private repairRank(): boolean {
    for (let a = this.mW - 1; a >= 0; a--) {
      const r = this.act[a] as number;
      if (this.rowEq[r]) continue;
      this.deactivate(r);
      for (let b = 0; b < this.mW; b++) this.columnV(b, this.act[b] as number);
      if (this.mW === 0 || this.factorS(this.mW)) return true;
    }
    return false;
  }

  /** Whether row r is linearly independent of the working rows over the free variables. */
  private independent(r: number): boolean {
    const mW = this.mW;
    if (this.k === 0) return false;
    this.act[mW] = r;
    for (let a = 0; a <= mW; a++) this.columnV(a, this.act[a] as number);
    return this.factorS(mW + 1);
  }

  /**
   * The EQP step from the current point for gradient `src` (g, or −dc for a segment): fills p
   * (free positions) and nu (working-row order). False when S is singular.
   */
  private computeStep(src: Float64Array, withResidual: boolean): boolean {
    const { k, free, y, n, mW, nu, S, V, p } = this;
    for (let j = 0; j < k; j++) y[j] = src[free[j] as number] as number;
    this.forward(y);
    let yNorm = 0;
    for (let j = 0; j < k; j++) yNorm = Math.max(yNorm, Math.abs(y[j] as number));
    this.lastYNorm = yNorm;
    for (let a = 0; a < mW; a++) this.columnV(a, this.act[a] as number);
    if (mW > 0) {
      if (!this.factorS(mW)) return false;
      for (let a = 0; a < mW; a++) {
        const va = a * n;
        let s = 0;
        for (let j = 0; j < k; j++) s += (V[va + j] as number) * (y[j] as number);
        const r = this.act[a] as number;
        nu[a] = -s - (withResidual ? (this.rowB[r] as number) - this.rowValue(r) : 0);
      }
      for (let a = 0; a < mW; a++) {
        let s = nu[a] as number;
        for (let b = 0; b < a; b++) s -= (S[a * mW + b] as number) * (nu[b] as number);
        nu[a] = s / (S[a * mW + a] as number);
      }
      for (let a = mW - 1; a >= 0; a--) {
        let s = nu[a] as number;
        for (let b = a + 1; b < mW; b++) s -= (S[b * mW + a] as number) * (nu[b] as number);
        nu[a] = s / (S[a * mW + a] as number);
      }
      for (let a = 0; a < mW; a++) {
        const va = a * n;
        const coef = nu[a] as number;
        for (let j = 0; j < k; j++) y[j] = (y[j] as number) + coef * (V[va + j] as number);
      }
    }
    let zNorm = 0;
    for (let j = 0; j < k; j++) zNorm = Math.max(zNorm, Math.abs(y[j] as number));
    this.lastZNorm = zNorm;
    this.backward(y, p);
    for (let j = 0; j < k; j++) p[j] = -(p[j] as number);
    return true;
  }

  /**
   * What leaves W at a minimiser of the working set: the inequality row with the most negative
   * multiplier when that is the most negative directional derivative of the Lagrangian overall,
   * else up to `batch` fixed variables with the most negative ones (with `bland`, the lowest index
   * instead, one at a time). Null at a KKT point.
   */
  private pickLeaving(
    bland: boolean,
    batch: number,
  ): { row: number; variables: { variable: number; direction: number }[] } | null {
    const { n, g, nu, mW, x } = this;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      const ci = this.c[i] as number;
      scale = Math.max(scale, Math.abs(ci), Math.abs((g[i] as number) + ci));
    }
    const tol = 1e-12 * Math.max(scale, 1e-300);
    let pi = 0;
    for (let a = 0; a < mW; a++) if (this.act[a] === this.absRow) pi = nu[a] as number;
    const found: { variable: number; direction: number; d: number }[] = [];
    for (let i = 0; i < n; i++) {
      if (this.pos[i] !== NOT_FREE || this.taboo[i]) continue;
      let r = g[i] as number;
      for (let a = 0; a < mW; a++) {
        r += (nu[a] as number) * ((this.rowA[this.act[a] as number] as Float64Array)[i] as number);
      }
      const atKink = this.kinked[i] === 1 && this.side[i] === 0 ? pi : 0;
      const xi = x[i] as number;
      const up = xi < (this.upper[i] as number) ? r + atKink : Number.POSITIVE_INFINITY;
      const down = xi > (this.lower[i] as number) ? -r + atKink : Number.POSITIVE_INFINITY;
      const d = Math.min(up, down);
      if (d < -tol) {
        found.push({ variable: i, direction: up <= down ? 1 : -1, d });
        if (bland) break;
      }
    }
    let row = -1;
    let rowValue = -tol;
    for (let a = 0; a < mW; a++) {
      const r = this.act[a] as number;
      if (this.rowEq[r] || !((nu[a] as number) < rowValue)) continue;
      row = r;
      rowValue = nu[a] as number;
      if (bland) break;
    }
    if (found.length === 0 && row < 0) return null;
    if (bland) {
      return found.length > 0
        ? { row: -1, variables: [found[0] as (typeof found)[0]] }
        : { row, variables: [] };
    }
    found.sort((a, b) => a.d - b.d || a.variable - b.variable);
    if (row >= 0 && (found.length === 0 || rowValue < (found[0] as (typeof found)[0]).d)) {
      return { row, variables: [] };
    }
    return { row: -1, variables: found.slice(0, batch) };
  }
}
