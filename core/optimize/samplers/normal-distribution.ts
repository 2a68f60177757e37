/** The standard normal distribution's density and cumulative distribution, for the Parzen estimators. */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log φ(z): the log density of the standard normal at z. */
export function logNormalPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/**
 * Φ(z): the standard normal CDF, through the complementary error function. erfc keeps its
 * relative precision deep in the tail, so a caller that needs an upper-tail probability should ask
 * for Φ(−z) rather than compute 1 − Φ(z).
 */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** The fit's polynomial in t, lowest power first. */
const ERFC_COEFFICIENTS = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

/**
 * erfc(x) by the Chebyshev fit of Numerical Recipes (erfcc, §6.2): fractional error below 1.2e-7
 * everywhere, which is ample for ranking candidates by a density ratio.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  let poly = 0;
  for (let i = ERFC_COEFFICIENTS.length - 1; i >= 0; i--) {
    poly = poly * t + (ERFC_COEFFICIENTS[i] ?? 0);
  }
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}
