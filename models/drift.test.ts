/** Drift: flagged on shifted data, not on data from the same distribution. */
import { describe, expect, it } from 'vitest';
import { featureDrift, kolmogorovSmirnov, psi } from './drift.js';

let seed = 3;
const normal = () => {
  seed = (seed * 16807) % 2147483647;
  const u = seed / 2147483647;
  seed = (seed * 16807) % 2147483647;
  const v = seed / 2147483647;
  return Math.sqrt(-2 * Math.log(u + 1e-12)) * Math.cos(2 * Math.PI * v);
};
const sample = (n: number, shift = 0, scale = 1) =>
  Array.from({ length: n }, () => normal() * scale + shift);

describe('drift', () => {
  it('does not flag rows from the same distribution', () => {
    const trained = sample(5000).map((v, k) => Float32Array.of(v, k % 7));
    const recent = sample(2000).map((v, k) => Float32Array.of(v, k % 7));
    const report = featureDrift(['a', 'b'], trained, recent);
    expect(report.map((f) => f.flagged)).toEqual([false, false]);
    expect(report[0]?.psi).toBeLessThan(0.05);
    expect(report[0]?.ks_p_value).toBeGreaterThan(0.01);
  });

  it('flags a shifted feature and only that one', () => {
    const trained = sample(5000).map((v, k) => Float32Array.of(v, k % 7));
    const recent = sample(2000, 1).map((v, k) => Float32Array.of(v, k % 7));
    const report = featureDrift(['shifted', 'same'], trained, recent);
    expect(report.map((f) => [f.feature, f.flagged])).toEqual([
      ['shifted', true],
      ['same', false],
    ]);
    expect(report[0]?.psi).toBeGreaterThan(0.2);
    expect(report[0]?.ks_p_value).toBeLessThan(1e-6);
  });

  it('computes KS and PSI on known cases', () => {
    expect(kolmogorovSmirnov([1, 2, 3], [1, 2, 3]).d).toBe(0);
    expect(kolmogorovSmirnov([1, 2, 3], [4, 5, 6]).d).toBe(1);
    expect(psi(sample(1000), sample(1000, 0, 3))).toBeGreaterThan(0.2);
    expect(psi([], [1])).toBeNaN();
  });
});
