/** Parameter checks shared by the indicator kernels: each throws a RangeError naming the bad value and the valid range. */

/** Throws unless `value` is a whole number ≥ `min`; `label` names the parameter, e.g. 'sma period'. */
export function checkPeriod(label: string, value: number, min = 1): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${label} must be a whole number ≥ ${min}, got ${value}`);
  }
}

/** Throws unless `value` is finite and > 0, or ≥ 0 when `allowZero`. */
export function checkPositive(label: string, value: number, allowZero = false): void {
  const ok = Number.isFinite(value) && (allowZero ? value >= 0 : value > 0);
  if (!ok) {
    throw new RangeError(
      `${label} must be a finite number ${allowZero ? '≥' : '>'} 0, got ${value}`,
    );
  }
}

/** Throws unless every input series has the same length, e.g. checkSameLength('atr', { high, low, close }). */
export function checkSameLength(indicator: string, series: Record<string, Float64Array>): void {
  const entries = Object.entries(series);
  const first = entries[0]?.[1].length;
  if (entries.some(([, values]) => values.length !== first)) {
    const found = entries.map(([name, values]) => `${name} ${values.length}`).join(', ');
    throw new RangeError(`${indicator} inputs must all have the same length, got ${found}`);
  }
}
