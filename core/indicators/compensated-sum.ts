/**
 * Compensated (Neumaier) summation, which keeps the error of a sum near a single rounding however
 * many terms it has and however they cancel: what stops the rolling sums here from drifting.
 */

/**
 * A running sum held as [sum, compensation], worth their total (see `totalOf`). A two-element
 * typed array rather than an object or a pair of returns, so that updating it allocates nothing.
 */
export type CompensatedSum = Float64Array;

/** A new running sum at 0. */
export function compensatedSum(): CompensatedSum {
  return new Float64Array(2);
}

/** Adds `x` to the running sum in place. */
export function addTo(acc: CompensatedSum, x: number): void {
  const sum = acc[0] as number;
  const total = sum + x;
  // Neumaier rather than Kahan: it also recovers the small part when |x| > |sum|.
  acc[1] = (acc[1] as number) + (Math.abs(sum) >= Math.abs(x) ? sum - total + x : x - total + sum);
  acc[0] = total;
}

/** The value of a running sum. */
export function totalOf(acc: CompensatedSum): number {
  const sum = acc[0] as number;
  // After an infinity the compensation is NaN (∞ − ∞); the plain sum is the right answer then.
  return Number.isFinite(sum) ? sum + (acc[1] as number) : sum;
}

/**
 * Sets a running sum to the compensated sum of values[start..end), keeping the compensation: the
 * exact-recompute step. Collapsing it to one number there would drop the small values' digits
 * next to a large one, and they would be missing again once the large one leaves the window.
 */
export function sumInto(
  acc: CompensatedSum,
  values: Float64Array,
  start: number,
  end: number,
): void {
  let sum = 0;
  let compensation = 0;
  for (let i = start; i < end; i++) {
    const x = values[i] as number;
    const total = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - total + x : x - total + sum;
    sum = total;
  }
  acc[0] = sum;
  acc[1] = compensation;
}

/** Reused by windowSum, which is never re-entered, so that it allocates nothing. */
const scratch = compensatedSum();

/** Compensated sum of values[start..end); NaN when the slice holds a NaN. */
export function windowSum(values: Float64Array, start: number, end: number): number {
  sumInto(scratch, values, start, end);
  return totalOf(scratch);
}
