/** Tests of the seeded PRNG: determinism, ranges and the shape of its distributions. */
import { describe, expect, it } from 'vitest';
import { createRandom } from './random.js';

const draws = (seed: number, n: number): number[] => {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => random.next());
};

describe('createRandom', () => {
  it('gives the same stream for the same seed, pinned so that a change of algorithm shows', () => {
    expect(draws(42, 3)).toEqual([0.8907801888417453, 0.4310670436825603, 0.3220651443116367]);
    expect(draws(42, 1000)).toEqual(draws(42, 1000));
  });

  it('gives unrelated streams for neighbouring seeds', () => {
    const a = draws(1, 100);
    const b = draws(2, 100);
    expect(a.filter((x, i) => x === b[i])).toEqual([]);
  });

  it('uses only the low 32 bits of a whole seed', () => {
    expect(draws(0, 5)).toEqual(draws(2 ** 32, 5));
    expect(draws(-1, 5)).toEqual(draws(4294967295, 5));
    expect(draws(7.9, 5)).toEqual(draws(7, 5));
  });

  it('draws floats in [0, 1) spread evenly over ten buckets', () => {
    const xs = draws(3, 100_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const buckets = Array.from({ length: 10 }, () => 0);
    for (const x of xs) buckets[Math.floor(x * 10)] = (buckets[Math.floor(x * 10)] ?? 0) + 1;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('draws ints in [min, max] with both ends reached and nothing outside', () => {
    const random = createRandom(5);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) seen.add(random.int(-2, 3));
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(random.int(4, 4)).toBe(4);
  });

  it('draws normals with mean 0 and standard deviation 1', () => {
    const random = createRandom(11);
    const xs = Array.from({ length: 50_000 }, () => random.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(0, 1);
    expect(sd).toBeCloseTo(1, 1);
    expect(xs.every(Number.isFinite)).toBe(true);
    // About 95.4 % within two standard deviations.
    expect(xs.filter((x) => Math.abs(x) < 2).length / xs.length).toBeCloseTo(0.954, 2);
  });

  it('refuses a non-finite seed and an empty or fractional int range, naming the values', () => {
    expect(() => createRandom(Number.NaN)).toThrow('random seed must be a finite number, got NaN');
    const random = createRandom(1);
    expect(() => random.int(5, 4)).toThrow('random int needs integers min <= max, got min=5 max=4');
    expect(() => random.int(0, 1.5)).toThrow('got min=0 max=1.5');
  });
});
