/** One pass over the per-bar curves: the sums and moments every return, risk and exposure figure needs. */

/** How the strategy's per-bar returns moved against the benchmark's over the same bars. */
export interface BenchmarkMoments {
  /** Mean per-bar benchmark return rb. */
  mean: number;
  /** Sample variance of rb (divisor count − 1). */
  variance: number;
  /** Sample covariance of r and rb (divisor count − 1). */
  covariance: number;
  /** Mean of the active return r − rb. */
  activeMean: number;
  /** Sample variance of r − rb, as var(r) + var(rb) − 2 cov(r, rb). */
  activeVariance: number;
}

/** Summary of the curves, with returns r_i = equity_i / equity_(i−1) − 1. */
export interface CurveStatistics {
  /** False when some value of equity, exposure or benchmark is NaN or ±Infinity. */
  allFinite: boolean;
  /**
   * Returns measured: bars − 1. Zero when equity touched 0 or went negative before the last bar,
   * because a return off a non-positive base means nothing; every return figure is then null.
   */
  count: number;
  /** Mean per-bar return. */
  mean: number;
  /** Sample variance of r (divisor count − 1); 0 when count < 2. */
  variance: number;
  /** mean(min(0, r − rfPerBar)²) over every return: the square of Sortino's downside deviation. */
  downsideVariance: number;
  /** Mean end-of-bar equity over all bars. */
  meanEquity: number;
  /** Mean gross exposure over all bars. */
  meanExposure: number;
  /** Null without a benchmark, without returns, or when the benchmark touched 0 or went negative. */
  benchmark: BenchmarkMoments | null;
}

/**
 * Reads the curves once, in a loop kept small enough for the JIT to hold every accumulator in a
 * register (drawdowns get their own pass for that reason: folding them in here measured slower).
 * Sums are taken around the first return (the "shifted data" method): as fast as naive sums of r
 * and r², without their cancellation when the spread is tiny next to the mean, which would turn a
 * steady curve's rounding noise into a real-looking volatility.
 */
export function curveStatistics(
  equity: Float64Array,
  exposure: Float64Array,
  benchmark: Float64Array | undefined,
  riskFreePerBar: number,
): CurveStatistics {
  const bars = equity.length;
  const count = bars - 1;
  const hurdle = 1 + riskFreePerBar;
  let equitySum = equity[0] as number;
  let exposureSum = exposure[0] as number;
  let benchmarkSum = benchmark === undefined ? 0 : (benchmark[0] as number);
  let previous = equity[0] as number;
  let lowestBase = previous;
  let lowestBenchmarkBase = benchmarkSum;
  // Growth factors g = 1 + r; shifting by the first one leaves d = r − r_1 exactly as for r.
  const shift = count > 0 ? (equity[1] as number) / previous : 1;
  const benchmarkShift =
    benchmark !== undefined && count > 0 ? (benchmark[1] as number) / benchmarkSum : 1;
  let sum = 0;
  let squares = 0;
  let shortfallSquares = 0;
  let benchmarkDeviationSum = 0;
  let benchmarkSquares = 0;
  let crossProducts = 0;

  if (benchmark === undefined) {
    for (let i = 1; i < bars; i++) {
      const value = equity[i] as number;
      equitySum += value;
      exposureSum += exposure[i] as number;
      if (previous < lowestBase) lowestBase = previous;
      const growth = value / previous;
      previous = value;
      const d = growth - shift;
      sum += d;
      squares += d * d;
      // x − |x| is 2·min(0, x) without a branch; the 2 is divided out after the loop.
      const excess = growth - hurdle;
      const shortfall = excess - Math.abs(excess);
      shortfallSquares += shortfall * shortfall;
    }
  } else {
    const moves = benchmarkMoves(benchmark);
    const deviations = moves.deviations;
    benchmarkSum = moves.sum;
    lowestBenchmarkBase = moves.lowestBase;
    benchmarkDeviationSum = moves.deviationSum;
    benchmarkSquares = moves.squares;
    for (let i = 1; i < bars; i++) {
      const value = equity[i] as number;
      equitySum += value;
      exposureSum += exposure[i] as number;
      if (previous < lowestBase) lowestBase = previous;
      const growth = value / previous;
      const d = growth - shift;
      previous = value;
      sum += d;
      squares += d * d;
      crossProducts += d * (deviations[i] as number);
      const excess = growth - hurdle;
      const shortfall = excess - Math.abs(excess);
      shortfallSquares += shortfall * shortfall;
    }
  }

  const allFinite = Number.isFinite(equitySum + exposureSum + benchmarkSum);
  const meanEquity = equitySum / bars;
  const meanExposure = exposureSum / bars;
  if (count < 1 || !(lowestBase > 0)) {
    const none = { count: 0, mean: 0, variance: 0, downsideVariance: 0, benchmark: null };
    return { allFinite, meanEquity, meanExposure, ...none };
  }
  const mean = shift - 1 + sum / count;
  const variance = sampleVariance(sum, squares, count);
  let moments: BenchmarkMoments | null = null;
  if (benchmark !== undefined && lowestBenchmarkBase > 0) {
    const benchmarkVariance = sampleVariance(benchmarkDeviationSum, benchmarkSquares, count);
    const covariance = sampleCovariance(sum, crossProducts, benchmarkDeviationSum, count);
    const benchmarkMean = benchmarkShift - 1 + benchmarkDeviationSum / count;
    const activeVariance = variance + benchmarkVariance - 2 * covariance;
    moments = {
      mean: benchmarkMean,
      variance: benchmarkVariance,
      covariance,
      activeMean: mean - benchmarkMean,
      activeVariance: activeVariance > 0 ? activeVariance : 0,
    };
  }
  return {
    allFinite,
    count,
    mean,
    variance,
    // The loop summed (2·min(0, x))², hence the 4.
    downsideVariance: shortfallSquares / 4 / count,
    meanEquity,
    meanExposure,
    benchmark: moments,
  };
}

/** What curveStatistics needs of a benchmark curve alone: the same for every run against it. */
interface BenchmarkMoves {
  /** deviations[i] = benchmark[i] / benchmark[i−1] − shift (index 0 unused). */
  deviations: Float64Array;
  sum: number;
  lowestBase: number;
  deviationSum: number;
  squares: number;
}

const movesCache = new WeakMap<Float64Array, BenchmarkMoves>();

/**
 * The benchmark's shifted returns and their sums, computed once per curve: an optimizer scores
 * thousands of runs against one buy-and-hold curve. Benchmark curves are never written after they
 * are made (the engine caches them), so caching by the array is safe.
 */
function benchmarkMoves(benchmark: Float64Array): BenchmarkMoves {
  const cached = movesCache.get(benchmark);
  if (cached) return cached;
  const bars = benchmark.length;
  const deviations = new Float64Array(bars);
  let sum = benchmark[0] as number;
  let previous = sum;
  let lowestBase = previous;
  const shift = bars > 1 ? (benchmark[1] as number) / previous : 1;
  let deviationSum = 0;
  let squares = 0;
  for (let i = 1; i < bars; i++) {
    const value = benchmark[i] as number;
    sum += value;
    if (previous < lowestBase) lowestBase = previous;
    const db = value / previous - shift;
    previous = value;
    deviations[i] = db;
    deviationSum += db;
    squares += db * db;
  }
  const moves = { deviations, sum, lowestBase, deviationSum, squares };
  movesCache.set(benchmark, moves);
  return moves;
}

/** Sample variance from shifted sums; clamped at 0 because rounding can leave a tiny negative. */
function sampleVariance(sum: number, squares: number, count: number): number {
  const variance = sampleCovariance(sum, squares, sum, count);
  return variance > 0 ? variance : 0;
}

/** Sample covariance from shifted sums Σx, Σxy, Σy (0 when count < 2). */
function sampleCovariance(sumX: number, sumXY: number, sumY: number, count: number): number {
  if (count < 2) return 0;
  return (sumXY - (sumX * sumY) / count) / (count - 1);
}
