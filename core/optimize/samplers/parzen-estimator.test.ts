/** Tests of the adaptive Parzen estimator: normalised densities, bounded draws, mass near the data. */
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../random.js';
import { normalCdf } from './normal-distribution.js';
import { createParzenEstimator } from './parzen-estimator.js';

describe('normalCdf', () => {
  it('matches tabulated values, in both tails', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 6);
    expect(normalCdf(-8) / 6.22096057e-16).toBeCloseTo(1, 5);
  });
});

describe('createParzenEstimator', () => {
  it('puts a total mass of 1 on the bins of a discrete parameter', () => {
    const estimator = createParzenEstimator([2, 3, 3, 9], {
      low: -0.5,
      high: 10.5,
      discrete: true,
    });
    let total = 0;
    for (let i = 0; i <= 10; i++) total += Math.exp(estimator.logDensity(i));
    expect(total).toBeCloseTo(1, 5);
  });

  it('integrates to 1 over a continuous range', () => {
    const estimator = createParzenEstimator([0.2, 0.25, 0.9], { low: 0, high: 1, discrete: false });
    const steps = 20_000;
    let total = 0;
    for (let i = 0; i < steps; i++)
      total += Math.exp(estimator.logDensity((i + 0.5) / steps)) / steps;
    expect(total).toBeCloseTo(1, 4);
  });

  const bins = { low: -0.5, high: 100.5, discrete: true };
  const few = [40, 41, 42];
  const many = Array.from({ length: 30 }, (_, i) => 40 + (i % 3));

  it('is densest near the observations, yet positive everywhere thanks to the prior', () => {
    const estimator = createParzenEstimator(many, bins);
    expect(estimator.logDensity(41)).toBeGreaterThan(estimator.logDensity(70) + 5);
    expect(estimator.logDensity(100)).toBeGreaterThan(Math.log(1e-4));
  });

  it('sharpens as observations accumulate: bandwidth floor is range / (n + 1)', () => {
    // Three points: σ is clipped up to 101/5 ≈ 20 bins, so the density is still broad.
    const broad = createParzenEstimator(few, bins);
    expect(broad.logDensity(41) - broad.logDensity(95)).toBeLessThan(2);
    // Thirty: the floor is 101/32 ≈ 3 bins.
    const sharp = createParzenEstimator(many, bins);
    expect(sharp.logDensity(41) - sharp.logDensity(95)).toBeGreaterThan(5);
  });

  it('draws inside the bounds, as whole indices when discrete, mostly near the observations', () => {
    const random = createRandom(4);
    const estimator = createParzenEstimator(many, bins);
    const draws = Array.from({ length: 4000 }, () => estimator.sample(random));
    expect(draws.every((x) => Number.isInteger(x) && x >= 0 && x <= 100)).toBe(true);
    // 30 of the 31 components sit at 40–42 with σ ≈ 3 bins; the prior spreads the rest.
    const near = draws.filter((x) => x >= 35 && x <= 47).length / draws.length;
    expect(near).toBeGreaterThan(0.85);
  });

  it('keeps continuous draws inside the range even for an observation on the edge', () => {
    const random = createRandom(5);
    const estimator = createParzenEstimator([0, 0, 1], { low: 0, high: 1, discrete: false });
    const draws = Array.from({ length: 2000 }, () => estimator.sample(random));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(1);
  });

  it('handles a one-value continuous range and no observations', () => {
    const point = createParzenEstimator([3], { low: 3, high: 3, discrete: false });
    expect(point.sample(createRandom(1))).toBe(3);
    expect(point.logDensity(3)).toBe(0);
    const prior = createParzenEstimator([], { low: -0.5, high: 4.5, discrete: true });
    let total = 0;
    for (let i = 0; i < 5; i++) total += Math.exp(prior.logDensity(i));
    expect(total).toBeCloseTo(1, 6);
    // The prior alone is symmetric about the centre.
    expect(prior.logDensity(0)).toBeCloseTo(prior.logDensity(4), 10);
  });
});
