/** Equal and inverse-volatility weights, and the bounded rescaling they (and HRP's leaves) share. */

/**
 * w_i = clip(κ·h_i, l_i, u_i) with κ ≥ 0 chosen so that Σ w_i = 1 (h ≥ 0): the proportions of h
 * are kept among the assets no bound touches, the rest sit at their bounds (water-filling). Σ w(κ)
 * is non-decreasing and piecewise linear in κ, so κ is found exactly: binary search over the
 * sorted breakpoints l_i/h_i, u_i/h_i, then one linear solve on the bracketing piece.
 * Needs Σ max(l_i, 0·…) ≤ 1 ≤ Σ u_i (checked by the caller); assets with h_i = 0 get max(l_i, 0)
 * clipped to their bounds.
 */
export function boundedScale(
  h: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
): Float64Array {
  const n = h.length;
  const total = (kappa: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += Math.min(upper[i] as number, Math.max(lower[i] as number, kappa * (h[i] as number)));
    }
    return sum;
  };
  const breaks: number[] = [0];
  for (let i = 0; i < n; i++) {
    const hi = h[i] as number;
    if (hi <= 0) continue;
    const lo = (lower[i] as number) / hi;
    const up = (upper[i] as number) / hi;
    if (lo > 0) breaks.push(lo);
    if (up > 0) breaks.push(up);
  }
  breaks.sort((a, b) => a - b);
  // Largest breakpoint index whose total is ≤ 1.
  let left = 0;
  let right = breaks.length - 1;
  if (total(breaks[right] as number) <= 1) left = right;
  else {
    while (right - left > 1) {
      const mid = (left + right) >> 1;
      if (total(breaks[mid] as number) <= 1) left = mid;
      else right = mid;
    }
  }
  const k0 = breaks[left] as number;
  // On (k0, next breakpoint) every asset is either clipped (constant) or free (slope h_i).
  const next = left + 1 < breaks.length ? (breaks[left + 1] as number) : k0 + 1;
  const probe = (k0 + next) / 2;
  let fixed = 0;
  let slope = 0;
  for (let i = 0; i < n; i++) {
    const v = probe * (h[i] as number);
    if (v <= (lower[i] as number)) fixed += lower[i] as number;
    else if (v >= (upper[i] as number)) fixed += upper[i] as number;
    else slope += h[i] as number;
  }
  const kappa = slope > 0 ? (1 - fixed) / slope : k0;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    w[i] = Math.min(upper[i] as number, Math.max(lower[i] as number, kappa * (h[i] as number)));
  }
  return w;
}

/** 1/n on `members` (indices), 0 elsewhere, then the bounds by `boundedScale`. */
export function equalWeights(
  n: number,
  members: readonly number[],
  lower: Float64Array,
  upper: Float64Array,
): Float64Array {
  const h = new Float64Array(n);
  const each = 1 / members.length;
  for (const i of members) h[i] = each;
  // Exactly 1/n when no bound binds (the water-filling's κ would round it).
  let inside = true;
  for (let i = 0; i < n; i++) {
    const v = h[i] as number;
    if (v < (lower[i] as number) || v > (upper[i] as number)) inside = false;
  }
  return inside ? h : boundedScale(h, lower, upper);
}

/** w_i ∝ 1/σ_i = 1/√Σ_ii on `members`, then the bounds by `boundedScale`. */
export function inverseVolatilityWeights(
  cov: Float64Array,
  n: number,
  members: readonly number[],
  lower: Float64Array,
  upper: Float64Array,
): Float64Array {
  const h = new Float64Array(n);
  let sum = 0;
  for (const i of members) {
    const v = 1 / Math.sqrt(cov[i * n + i] as number);
    h[i] = v;
    sum += v;
  }
  for (const i of members) h[i] = (h[i] as number) / sum;
  return boundedScale(h, lower, upper);
}
