/** Tests of Pareto dominance, NSGA-II fronts and crowding distance on hand-made points. */
import { describe, expect, it } from 'vitest';
import {
  crowdingDistances,
  dominates,
  nonDominatedSort,
  paretoFront,
  paretoRanking,
} from './pareto.js';

// Return (maximise) against drawdown (minimise).
const objectives = [{ direction: 'maximize' as const }, { direction: 'minimize' as const }];

// index: [return, drawdown]
const points: (number | null)[][] = [
  [0.1, 0.05], // 0 front 0: safest
  [0.2, 0.1], //  1 front 0
  [0.3, 0.2], //  2 front 0: highest return
  [0.15, 0.1], // 3 front 1: dominated by 1
  [0.25, 0.25], //4 front 1: dominated by 2
  [0.1, 0.3], //  5 front 2: dominated by 3 (and 0, 1, 2, 4)
  [null, 0.01], //6 front 0: nothing beats its drawdown, and null return is only "worst"
  [null, null], //7 last: dominated by everything with any value
];

describe('dominates', () => {
  it('needs at least as good on every objective and better on one, in each direction', () => {
    expect(dominates([0.2, 0.1], [0.15, 0.1], objectives)).toBe(true);
    expect(dominates([0.2, 0.1], [0.2, 0.1], objectives)).toBe(false);
    expect(dominates([0.3, 0.2], [0.2, 0.1], objectives)).toBe(false);
    expect(dominates([0.2, 0.1], [0.2, 0.2], objectives)).toBe(true);
  });

  it('treats null as worse than any value', () => {
    expect(dominates([0.1, 0.3], [null, 0.3], objectives)).toBe(true);
    expect(dominates([null, 0.3], [0.1, 0.3], objectives)).toBe(false);
    expect(dominates([null, null], [null, null], objectives)).toBe(false);
  });
});

describe('nonDominatedSort', () => {
  it('peels the points into fronts', () => {
    expect(nonDominatedSort(points, objectives)).toEqual([[0, 1, 2, 6], [3, 4], [5], [7]]);
  });

  it('puts equal points on the same front and handles no points', () => {
    expect(
      nonDominatedSort(
        [
          [1, 1],
          [1, 1],
          [0, 2],
        ],
        objectives,
      ),
    ).toEqual([[0, 1], [2]]);
    expect(nonDominatedSort([], objectives)).toEqual([]);
  });
});

describe('crowdingDistances', () => {
  it('gives the extremes Infinity and interior points their normalised neighbour gaps', () => {
    const front = [
      [0.1, 0.05],
      [0.2, 0.1],
      [0.3, 0.2],
      [0.35, 0.4],
    ];
    const d = crowdingDistances(front, [0, 1, 2, 3], objectives);
    expect(d[0]).toBe(Number.POSITIVE_INFINITY);
    expect(d[3]).toBe(Number.POSITIVE_INFINITY);
    // Point 1: return gap (0.3 − 0.1)/0.25 = 0.8, drawdown gap (0.2 − 0.05)/0.35 ≈ 0.428571.
    expect(d[1]).toBeCloseTo(0.8 + 0.15 / 0.35, 10);
    // Point 2: return gap (0.35 − 0.2)/0.25 = 0.6, drawdown gap (0.4 − 0.1)/0.35 ≈ 0.857143.
    expect(d[2]).toBeCloseTo(0.6 + 0.3 / 0.35, 10);
  });

  it('gives every point of a front of two or fewer Infinity', () => {
    expect(crowdingDistances(points, [0, 2], objectives)).toEqual([
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
    ]);
  });
});

describe('paretoRanking', () => {
  it('orders by front, then most isolated first, then index', () => {
    const ranking = paretoRanking(points, objectives);
    expect(ranking.map((r) => r.index)).toEqual([2, 6, 1, 0, 3, 4, 5, 7]);
    expect(ranking.map((r) => r.front)).toEqual([0, 0, 0, 0, 1, 1, 2, 3]);
    // Front 0 along drawdown: 2 (0.2), 1 (0.1), 0 (0.05), 6 (0.01); range 0.19. The return axis
    // adds nothing because point 6's null makes its range unbounded.
    expect(ranking[2]?.crowding).toBeCloseTo((0.2 - 0.05) / 0.19, 10);
    expect(ranking[3]?.crowding).toBeCloseTo((0.1 - 0.01) / 0.19, 10);
  });
});

describe('paretoFront', () => {
  it('returns the non-dominated points in their original order', () => {
    const labelled = points.map((values, i) => ({ id: `p${i}`, values }));
    expect(paretoFront(labelled, objectives, (p) => p.values).map((p) => p.id)).toEqual([
      'p0',
      'p1',
      'p2',
      'p6',
    ]);
  });

  it('agrees with the first front of nonDominatedSort on a random cloud', () => {
    const cloud = Array.from({ length: 200 }, (_, i) => [
      Math.sin(i * 12.9898) * 10,
      Math.cos(i * 78.233) * 10,
    ]);
    const fast = paretoFront(
      cloud.map((values, i) => ({ i, values })),
      objectives,
      (p) => p.values,
    ).map((p) => p.i);
    expect(fast).toEqual(nonDominatedSort(cloud, objectives)[0]);
    expect(fast.length).toBeGreaterThan(1);
  });

  it('keeps duplicates of a front point and returns nothing for no points', () => {
    const dup = [
      [1, 1],
      [1, 1],
      [0, 2],
    ].map((values, i) => ({ i, values }));
    expect(paretoFront(dup, objectives, (p) => p.values).map((p) => p.i)).toEqual([0, 1]);
    expect(paretoFront([], objectives, (p: { values: number[] }) => p.values)).toEqual([]);
  });
});
