/** Tests of walk-forward windows and of the walk-forward summary. */
import { describe, expect, it } from 'vitest';
import { metricsFixture } from './metrics-fixture.js';
import { summarizeWalkForward, type WalkForwardFold, walkForwardWindows } from './walk-forward.js';

const r = (start: number, end: number) => ({ start, end });

describe('walkForwardWindows', () => {
  it('rolls equal windows forward by one out-of-sample length', () => {
    expect(walkForwardWindows(100, 4, { inSampleFraction: 0.5, minWindowBars: 10 })).toEqual([
      { fold: 0, inSample: r(0, 20), outOfSample: r(20, 40) },
      { fold: 1, inSample: r(20, 40), outOfSample: r(40, 60) },
      { fold: 2, inSample: r(40, 60), outOfSample: r(60, 80) },
      { fold: 3, inSample: r(60, 80), outOfSample: r(80, 100) },
    ]);
  });

  it('anchors every in-sample window at bar 0 when asked', () => {
    const windows = walkForwardWindows(100, 4, {
      inSampleFraction: 0.5,
      minWindowBars: 10,
      anchored: true,
    });
    expect(windows.map((w) => w.inSample)).toEqual([r(0, 20), r(0, 40), r(0, 60), r(0, 80)]);
    expect(windows.map((w) => w.outOfSample)).toEqual([
      r(20, 40),
      r(40, 60),
      r(60, 80),
      r(80, 100),
    ]);
  });

  it('drops the bars the division leaves over from the start, so the last window ends at the last bar', () => {
    const rolling = walkForwardWindows(103, 4, { inSampleFraction: 0.5, minWindowBars: 10 });
    expect(rolling[0]).toEqual({ fold: 0, inSample: r(3, 23), outOfSample: r(23, 43) });
    expect(rolling[3]?.outOfSample).toEqual(r(83, 103));
    const anchored = walkForwardWindows(103, 4, {
      inSampleFraction: 0.5,
      minWindowBars: 10,
      anchored: true,
    });
    expect(anchored[0]?.inSample).toEqual(r(0, 23));
  });

  it('uses 70 % in-sample by default: 1000 bars in 5 folds give 317 + 5 × 136', () => {
    const windows = walkForwardWindows(1000, 5);
    expect(windows[0]).toEqual({ fold: 0, inSample: r(3, 320), outOfSample: r(320, 456) });
    expect(windows[4]).toEqual({ fold: 4, inSample: r(547, 864), outOfSample: r(864, 1000) });
    // Out-of-sample windows tile the end without gaps or overlap; each follows its in-sample window.
    windows.forEach((w, i) => {
      expect(w.inSample.end).toBe(w.outOfSample.start);
      if (i > 0) expect(w.outOfSample.start).toBe(windows[i - 1]?.outOfSample.end);
    });
  });

  it('is not fooled by float error in the fraction', () => {
    // 0.6 / 0.4 is 1.4999999999999998 in floats; 28 × 1.5 must still give 42.
    expect(walkForwardWindows(100, 2, { inSampleFraction: 0.6 })).toEqual([
      { fold: 0, inSample: r(2, 44), outOfSample: r(44, 72) },
      { fold: 1, inSample: r(30, 72), outOfSample: r(72, 100) },
    ]);
  });

  it('takes an in-sample length in bars instead of a fraction', () => {
    expect(walkForwardWindows(100, 3, { inSampleBars: 40 })).toEqual([
      { fold: 0, inSample: r(0, 40), outOfSample: r(40, 60) },
      { fold: 1, inSample: r(20, 60), outOfSample: r(60, 80) },
      { fold: 2, inSample: r(40, 80), outOfSample: r(80, 100) },
    ]);
  });

  it.each<[string, () => unknown, string]>([
    [
      'too few bars per window',
      () => walkForwardWindows(50, 5),
      'walk-forward: 50 bars in 5 folds give 14 in-sample and 6 out-of-sample bars per window; each needs at least 20. Use fewer folds or more bars.',
    ],
    [
      'too short an in-sample window',
      () => walkForwardWindows(200, 2, { inSampleBars: 10 }),
      'give 10 in-sample and 95 out-of-sample bars per window; each needs at least 20',
    ],
    [
      'zero folds',
      () => walkForwardWindows(100, 0),
      'walk-forward folds 0 must be a whole number >= 1',
    ],
    [
      'a negative bar count',
      () => walkForwardWindows(-1, 2),
      'walk-forward barCount -1 must be a whole number >= 0',
    ],
    [
      'a fraction of 1',
      () => walkForwardWindows(100, 2, { inSampleFraction: 1 }),
      'walk-forward inSampleFraction 1 must be between 0 and 1',
    ],
    [
      'in-sample bars covering everything',
      () => walkForwardWindows(100, 2, { inSampleBars: 100 }),
      'walk-forward inSampleBars 100 must be a whole number from 1 to 99 (the bars minus one)',
    ],
    [
      'a zero minimum',
      () => walkForwardWindows(100, 2, { minWindowBars: 0 }),
      'walk-forward minWindowBars 0 must be a whole number >= 1',
    ],
  ])('refuses %s with a clear message', (_, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});

describe('summarizeWalkForward', () => {
  const folds: WalkForwardFold[] = [
    {
      bestParams: { fast: 10, slow: 50 },
      inSampleScore: 1.5,
      outOfSampleScore: 0.9,
      outOfSampleMetrics: metricsFixture(),
    },
    {
      bestParams: { fast: 10, slow: 50 },
      inSampleScore: 1.2,
      outOfSampleScore: 0.6,
      outOfSampleMetrics: metricsFixture(),
    },
    // No trades out of sample: the score is undefined and left out of the mean.
    {
      bestParams: { fast: 20, slow: 100 },
      inSampleScore: 1.8,
      outOfSampleScore: null,
      outOfSampleMetrics: null,
    },
    {
      bestParams: { fast: 10, slow: 60 },
      inSampleScore: 1.5,
      outOfSampleScore: 0.3,
      outOfSampleMetrics: metricsFixture(),
    },
  ];

  it('averages the scores and measures the out-of-sample degradation', () => {
    const summary = summarizeWalkForward(folds);
    expect(summary.folds).toBe(4);
    expect(summary.meanInSample).toBeCloseTo(1.5, 12);
    expect(summary.meanOutOfSample).toBeCloseTo(0.6, 12);
    // (1.5 − 0.6) / 1.5
    expect(summary.degradation).toBeCloseTo(0.6, 12);
  });

  it('measures how much each parameter moved between folds', () => {
    const { parameterStability } = summarizeWalkForward(folds);
    expect(parameterStability.fast?.values).toEqual([10, 10, 20, 10]);
    expect(parameterStability.fast?.mean).toBe(12.5);
    // Population std: sqrt((3 × 2.5² + 7.5²) / 4) = sqrt(18.75).
    expect(parameterStability.fast?.std).toBeCloseTo(Math.sqrt(18.75), 12);
    expect(parameterStability.fast?.coefficientOfVariation).toBeCloseTo(
      Math.sqrt(18.75) / 12.5,
      12,
    );
    expect(parameterStability.slow?.mean).toBe(65);
    expect(parameterStability.slow?.std).toBeCloseTo(Math.sqrt(425), 12);
  });

  it('finds the parameter set most folds chose, and its share', () => {
    const summary = summarizeWalkForward(folds);
    expect(summary.mostCommonParams).toEqual({ fast: 10, slow: 50 });
    expect(summary.mostCommonShare).toBe(0.5);
    const tied = summarizeWalkForward([folds[2], folds[0]] as WalkForwardFold[]);
    expect(tied.mostCommonParams).toEqual({ fast: 20, slow: 100 });
    expect(tied.mostCommonShare).toBe(0.5);
  });

  it('counts a rise of a minimised objective as degradation', () => {
    const summary = summarizeWalkForward(
      [
        {
          bestParams: { n: 3 },
          inSampleScore: 0.1,
          outOfSampleScore: 0.15,
          outOfSampleMetrics: null,
        },
      ],
      { direction: 'minimize' },
    );
    expect(summary.degradation).toBeCloseTo(0.5, 12);
    expect(summary.parameterStability.n).toEqual({
      values: [3],
      mean: 3,
      std: 0,
      coefficientOfVariation: 0,
    });
  });

  it('gives a negative degradation when out-of-sample did better', () => {
    const summary = summarizeWalkForward([
      { bestParams: { n: 1 }, inSampleScore: -2, outOfSampleScore: -1, outOfSampleMetrics: null },
    ]);
    // (−2 − (−1)) / |−2|
    expect(summary.degradation).toBe(-0.5);
  });

  it('leaves undefined figures null instead of dividing by zero', () => {
    const empty = summarizeWalkForward([]);
    expect(empty).toEqual({
      folds: 0,
      meanInSample: null,
      meanOutOfSample: null,
      degradation: null,
      parameterStability: {},
      mostCommonParams: null,
      mostCommonShare: 0,
    });
    const zero = summarizeWalkForward([
      { bestParams: { n: 0 }, inSampleScore: 0, outOfSampleScore: 0.2, outOfSampleMetrics: null },
    ]);
    expect(zero.degradation).toBeNull();
    expect(zero.parameterStability.n?.coefficientOfVariation).toBeNull();
  });
});
