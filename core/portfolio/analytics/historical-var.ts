/** Historical value at risk and expected shortfall of a sample of returns. */
import { PortfolioAnalyticsError } from './types.js';

/** VaR and CVaR of one sample, as positive loss fractions. */
export interface HistoricalVar {
  /** −r_(k): minus the k-th smallest return. */
  var: number;
  /** −(r_(1) + … + r_(k)) / k: minus the mean of the k smallest returns. */
  cvar: number;
  /** k = max(1, ⌈(1 − confidence)·N⌉). */
  tailCount: number;
  observations: number;
}

/**
 * How many worst returns make the tail: k = max(1, ⌈(1 − confidence)·N⌉). The product is taken
 * a hair (1e-9 relative) below its float value before the ceiling, so that (1 − 0.95) × 500,
 * which is 25.000000000000004 in doubles, gives 25 and not 26.
 */
export function tailCount(observations: number, confidence: number): number {
  const x = (1 - confidence) * observations;
  return Math.max(1, Math.ceil(x - 1e-9 * Math.max(1, x)));
}

/**
 * Historical 1-period VaR and CVaR at `confidence` (e.g. 0.95). Convention: sort the N returns
 * ascending; VaR = −r_(k), the k-th worst, with k = ⌈(1 − confidence)·N⌉ (so at 95 % and
 * N = 500 the 25th worst day); CVaR = −mean of those k worst returns, so CVaR ≥ VaR. Ties at
 * r_(k) are not pulled into the tail: exactly k returns are averaged.
 */
export function historicalVar(returns: ArrayLike<number>, confidence: number): HistoricalVar {
  if (!(confidence > 0 && confidence < 1)) {
    throw new PortfolioAnalyticsError(
      `confidence must be a fraction strictly between 0 and 1 (0.95 = 95 %), got ${confidence}`,
    );
  }
  const n = returns.length;
  if (n === 0) throw new PortfolioAnalyticsError('VaR needs at least one return, got none');
  const sorted = Float64Array.from(returns);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(sorted[i] as number)) {
      throw new PortfolioAnalyticsError(`return ${i} is not a finite number: ${sorted[i]}`);
    }
  }
  sorted.sort();
  const k = tailCount(n, confidence);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += sorted[i] as number;
  // 0 − x rather than −x: a zero loss is reported as 0, not −0.
  return { var: 0 - (sorted[k - 1] as number), cvar: 0 - sum / k, tailCount: k, observations: n };
}
