/** Drawdown scans and curves on hand-written equity: dates, recovery, ties and the currency fall. */
import { describe, expect, it } from 'vitest';
import { drawdownCurve, maxDrawdown, scanDrawdown } from './drawdown.js';

const dates = ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-08', '2024-01-09', '2024-01-10'];

describe('maxDrawdown', () => {
  it.each([
    {
      name: 'recovery at exactly the old peak counts',
      // 120 → 90 is −25 %; 120 again on bar 4 (2024-01-09): 3 bars, 7 days after the peak.
      equity: [100, 120, 90, 108, 120, 130],
      expected: {
        depth: 0.25,
        peakDate: '2024-01-02',
        troughDate: '2024-01-03',
        recoveryDate: '2024-01-09',
        durationBars: 3,
        durationDays: 7,
      },
      largestFall: 30,
    },
    {
      name: 'the deepest fall is in fractions, the largest fall in currency',
      // −50 % costs 50; later 1000 → 800 is only −20 % but costs 200.
      equity: [100, 50, 100, 1000, 800, 1000],
      expected: {
        depth: 0.5,
        peakDate: '2024-01-01',
        troughDate: '2024-01-02',
        recoveryDate: '2024-01-03',
        durationBars: 2,
        durationDays: 2,
      },
      largestFall: 200,
    },
    {
      name: 'of two equal drawdowns the first is kept; the peak is the last bar at the high',
      equity: [100, 100, 90, 100, 90, 100],
      expected: {
        depth: 0.1,
        peakDate: '2024-01-02',
        troughDate: '2024-01-03',
        recoveryDate: '2024-01-08',
        durationBars: 2,
        durationDays: 6,
      },
      largestFall: 10,
    },
    {
      name: 'a later, deeper fall replaces an earlier recovered one',
      // −10 % recovered on bar 2, then 110 → 66 = −40 %, still open at the end (2 bars, 2 days).
      equity: [100, 90, 100, 110, 66, 77],
      expected: {
        depth: 0.4,
        peakDate: '2024-01-08',
        troughDate: '2024-01-09',
        recoveryDate: null,
        durationBars: 2,
        durationDays: 2,
      },
      largestFall: 44,
    },
    {
      name: 'a curve that never falls reports depth 0 on the first date',
      equity: [100, 101, 101, 102, 150, 150],
      expected: {
        depth: 0,
        peakDate: '2024-01-01',
        troughDate: '2024-01-01',
        recoveryDate: '2024-01-01',
        durationBars: 0,
        durationDays: 0,
      },
      largestFall: 0,
    },
  ])('$name', ({ equity, expected, largestFall }) => {
    const scan = scanDrawdown(Float64Array.from(equity));
    const drawdown = maxDrawdown(dates, scan);
    expect(drawdown.depth).toBeCloseTo(expected.depth, 12);
    expect({ ...drawdown, depth: expected.depth }).toEqual(expected);
    expect(scan.largestFall).toBeCloseTo(largestFall, 9);
  });

  it('finds a deeper trough that beats the previous one only in the last bit', () => {
    // Found by search: (145.61… − 117.92…) / 145.61… rounds one ulp above the first depth, yet
    // 117.92… is not below 145.61… × (1 − firstDepth) in floating point. The scan's pre-filter
    // must let it through to the exact comparison.
    const equity = Float64Array.from([
      55.13514804658142, 44.65113266290087, 145.61694615362026, 117.92770693530288,
    ]);
    const firstDepth = (55.13514804658142 - 44.65113266290087) / 55.13514804658142;
    const secondDepth = (145.61694615362026 - 117.92770693530288) / 145.61694615362026;
    expect(secondDepth).toBeGreaterThan(firstDepth);
    const scan = scanDrawdown(equity);
    expect(scan).toMatchObject({ depth: secondDepth, peakIndex: 2, troughIndex: 3 });
  });
});

describe('drawdownCurve', () => {
  it('is 0 at every new high and equity / peak − 1 below it', () => {
    const curve = drawdownCurve(Float64Array.from([100, 120, 90, 108, 120, 130]));
    const expected = [0, 0, -0.25, -0.1, 0, 0];
    expect(curve).toHaveLength(6);
    expected.forEach((value, i) => {
      expect(curve[i]).toBeCloseTo(value, 12);
    });
  });

  it('is empty for an empty curve', () => {
    expect(drawdownCurve(new Float64Array(0))).toEqual(new Float64Array(0));
  });
});
