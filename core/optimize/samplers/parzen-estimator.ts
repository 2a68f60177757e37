/** The one-dimensional adaptive Parzen estimator (a truncated Gaussian mixture) that TPE builds per parameter. */
import type { Random } from '../../random.js';
import { logNormalPdf, normalCdf } from './normal-distribution.js';

/** Where a parameter lives for the estimator. */
export interface ParzenBounds {
  low: number;
  high: number;
  /**
   * Integer points low+½ … high−½ (a discrete parameter's indices): densities become the mixture's
   * probability mass over each unit-wide bin, and samples are rounded to the nearest index.
   */
  discrete: boolean;
}

/** A fitted density over one parameter. */
export interface ParzenEstimator {
  /** One draw from the mixture, inside the bounds (an index when discrete). */
  sample(random: Random): number;
  /** log density at x (log probability mass of x's bin when discrete). */
  logDensity(x: number): number;
}

interface Component {
  mu: number;
  sigma: number;
  weight: number;
  /** log of the component's mass inside [low, high], to renormalise the truncated Gaussian. */
  logMass: number;
}

/**
 * Fits the adaptive Parzen estimator of Bergstra et al. (2011), as in hyperopt's
 * `adaptive_parzen_normal`: one Gaussian per observation plus a wide prior Gaussian centred on the
 * range. Each observation's bandwidth is the larger distance to its neighbours (the prior's centre
 * counting as one), clipped to [range / min(100, n + 1), range], so that isolated points spread
 * out and clustered points sharpen. The prior (weight `priorWeight`, σ = the whole range) keeps the
 * density positive everywhere, which l(x)/g(x) needs. Observation weights are uniform.
 */
export function createParzenEstimator(
  observations: readonly number[],
  bounds: ParzenBounds,
  priorWeight = 1,
): ParzenEstimator {
  const { low, high, discrete } = bounds;
  const range = high - low;
  if (!(range > 0)) {
    // A continuous parameter with min = max: every draw is that value, and it has all the mass.
    return { sample: () => low, logDensity: () => 0 };
  }
  const priorMu = low + range / 2;
  const points = [
    ...observations.map((mu) => ({ mu, prior: false })),
    { mu: priorMu, prior: true },
  ];
  points.sort((a, b) => a.mu - b.mu || Number(a.prior) - Number(b.prior));
  const minSigma = range / Math.min(100, points.length + 1);
  const components: Component[] = points.map((point, i) => {
    const left = i > 0 ? point.mu - (points[i - 1]?.mu ?? point.mu) : 0;
    const right = i < points.length - 1 ? (points[i + 1]?.mu ?? point.mu) - point.mu : 0;
    const sigma = point.prior ? range : Math.min(range, Math.max(minSigma, left, right));
    const mass = normalCdf((high - point.mu) / sigma) - normalCdf((low - point.mu) / sigma);
    return {
      mu: point.mu,
      sigma,
      weight: point.prior ? priorWeight : 1,
      logMass: Math.log(Math.max(mass, Number.MIN_VALUE)),
    };
  });
  const totalWeight = components.reduce((sum, c) => sum + c.weight, 0);
  const logWeights = components.map((c) => Math.log(c.weight / totalWeight));

  const sampleContinuous = (random: Random): number => {
    let pick = random.next() * totalWeight;
    let chosen = components[components.length - 1] as Component;
    for (const component of components) {
      pick -= component.weight;
      if (pick < 0) {
        chosen = component;
        break;
      }
    }
    // Rejection from the truncated Gaussian: mu lies inside and sigma <= range, so at least a third
    // of every component's mass is inside and a few tries suffice; clamping is a last resort.
    for (let attempt = 0; attempt < 64; attempt++) {
      const x = chosen.mu + chosen.sigma * random.normal();
      if (x >= low && x <= high) return x;
    }
    return Math.min(high, Math.max(low, chosen.mu));
  };

  const logComponentDensity = (c: Component, x: number): number => {
    if (!discrete) return logNormalPdf((x - c.mu) / c.sigma) - Math.log(c.sigma) - c.logMass;
    return Math.log(binMass(c, x)) - c.logMass;
  };

  return {
    sample(random) {
      const x = sampleContinuous(random);
      if (!discrete) return x;
      return Math.min(high - 0.5, Math.max(low + 0.5, Math.round(x)));
    },
    logDensity(x) {
      const terms = components.map((c, k) => (logWeights[k] ?? 0) + logComponentDensity(c, x));
      return logSumExp(terms);
    },
  };
}

/** The Gaussian's mass over [x − ½, x + ½], computed where it keeps its precision. */
function binMass(c: Component, x: number): number {
  const a = (x - 0.5 - c.mu) / c.sigma;
  const b = (x + 0.5 - c.mu) / c.sigma;
  // A bin far narrower than the Gaussian: the CDF difference would cancel, the midpoint rule is exact
  // to about (width/σ)²/24.
  if (b - a < 0.01) return Math.exp(logNormalPdf((a + b) / 2)) * (b - a);
  // In the upper tail use the mirrored lower tail, where normalCdf is precise.
  const mass = a > 0 ? normalCdf(-a) - normalCdf(-b) : normalCdf(b) - normalCdf(a);
  return Math.max(mass, Number.MIN_VALUE);
}

function logSumExp(terms: readonly number[]): number {
  const top = Math.max(...terms);
  if (!Number.isFinite(top)) return top;
  return top + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - top), 0));
}
