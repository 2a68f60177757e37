/** Rate of change and momentum kernels: how far a series moved over the last `period` bars. */
import { checkPeriod } from './check-parameters.js';

/**
 * Rate of change as a fraction, (x[t] − x[t−period]) / x[t−period]: 0.05 is a 5 % rise. Fractions
 * rather than percent to match every other ratio in the project (technicalindicators returns
 * percent). NaN for the first `period` bars and where the earlier value is 0.
 */
export function roc(values: Float64Array, period: number): Float64Array {
  checkPeriod('roc period', period);
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let i = period; i < values.length; i++) {
    const base = values[i - period] as number;
    // A zero base would give ±Infinity, which compares as a huge signal instead of as no data.
    if (base !== 0) out[i] = ((values[i] as number) - base) / base;
  }
  return out;
}

/** Momentum, the plain difference x[t] − x[t−period]; NaN for the first `period` bars. */
export function momentum(values: Float64Array, period: number): Float64Array {
  checkPeriod('momentum period', period);
  const out = new Float64Array(values.length).fill(Number.NaN);
  for (let i = period; i < values.length; i++) {
    out[i] = (values[i] as number) - (values[i - period] as number);
  }
  return out;
}
