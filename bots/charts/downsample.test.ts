/** Thinning long series: first, last and each bucket's extremes survive, never more than max. */
import { describe, expect, it } from 'vitest';
import { downsampleIndices, MAX_DRAWN_POINTS } from './downsample.js';

describe('downsampleIndices', () => {
  it('keeps every index of a short series', () => {
    expect(downsampleIndices([3, 1, 2])).toEqual([0, 1, 2]);
    expect(downsampleIndices([])).toEqual([]);
  });

  it('keeps the first, the last, the global extremes, ascending, at most max', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 37) * 100 + i / 10);
    values[4321] = 10_000;
    values[7777] = -10_000;
    const kept = downsampleIndices(values);
    expect(kept.length).toBeLessThanOrEqual(MAX_DRAWN_POINTS);
    expect(kept.length).toBeGreaterThan(MAX_DRAWN_POINTS / 2);
    expect(kept[0]).toBe(0);
    expect(kept[kept.length - 1]).toBe(9_999);
    expect(kept).toContain(4321);
    expect(kept).toContain(7777);
    expect(kept.every((index, k) => k === 0 || index > (kept[k - 1] as number))).toBe(true);
  });

  it('gives each index once for a flat series', () => {
    const kept = downsampleIndices(new Float64Array(5_000), 100);
    expect(new Set(kept).size).toBe(kept.length);
    expect(kept.length).toBeLessThanOrEqual(100);
  });

  it('refuses a max below 4, naming it', () => {
    expect(() => downsampleIndices([1, 2, 3, 4, 5], 3)).toThrow(
      'max must be a whole number ≥ 4, got 3',
    );
  });
});
