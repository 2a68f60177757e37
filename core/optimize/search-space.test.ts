/** Tests of how ParamSpecs and grid axes become the dimensions samplers draw from. */
import { describe, expect, it } from 'vitest';
import type { ParamSpec } from './param-space.js';
import { type DiscreteDimension, paramsKey, spaceSize, toDimensions } from './search-space.js';

const discrete = (dim: unknown): DiscreteDimension => {
  const d = dim as DiscreteDimension;
  expect(d.kind).toBe('discrete');
  return d;
};

describe('toDimensions', () => {
  it('turns an int range into indexed values with step 1 by default', () => {
    const [dim] = toDimensions([{ name: 'fast', kind: 'int', min: 5, max: 9 }]);
    const d = discrete(dim);
    expect(d.count).toBe(5);
    expect([0, 1, 4].map((i) => d.valueAt(i))).toEqual([5, 6, 9]);
    expect(d.indexOf(7)).toBe(2);
    expect(d.indexOf(100)).toBe(4);
    expect(d.indexOf(-3)).toBe(0);
  });

  it('turns a stepped float into its grid points, rounded to the step', () => {
    const [dim] = toDimensions([{ name: 'k', kind: 'float', min: 0.5, max: 1.2, step: 0.1 }]);
    const d = discrete(dim);
    expect(d.count).toBe(8);
    expect(Array.from({ length: d.count }, (_, i) => d.valueAt(i))).toEqual([
      0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2,
    ]);
    expect(d.indexOf(0.7)).toBe(2);
  });

  it('keeps a float without a step continuous', () => {
    expect(toDimensions([{ name: 'k', kind: 'float', min: 0, max: 2 }])).toEqual([
      { name: 'k', kind: 'continuous', min: 0, max: 2 },
    ]);
  });

  it('sorts listed axis values so that neighbouring indices are neighbouring values', () => {
    const d = discrete(toDimensions({ slow: [50, 20, 100] })[0]);
    expect([0, 1, 2].map((i) => d.valueAt(i))).toEqual([20, 50, 100]);
    expect(d.indexOf(50)).toBe(1);
    expect(d.indexOf(90)).toBe(2);
  });

  it('sizes spaces and keys parameter sets in dimension order', () => {
    const dims = toDimensions({ a: [1, 2, 3], b: [4, 5] });
    expect(spaceSize(dims)).toBe(6);
    expect(spaceSize(toDimensions([{ name: 'x', kind: 'float', min: 0, max: 1 }]))).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(paramsKey({ b: 5, a: 2 }, dims)).toBe('2,5');
  });

  it.each<[string, ParamSpec[] | Record<string, number[]>, string]>([
    ['no parameters', [], 'search space has no parameters; give at least one range'],
    ['a bad name', [{ name: 'a b', kind: 'int', min: 1, max: 2 }], '"a b" is not a parameter name'],
    [
      'min > max',
      [{ name: 'n', kind: 'int', min: 9, max: 2 }],
      'param "n": min 9 is greater than max 2',
    ],
    [
      'step 0',
      [{ name: 'n', kind: 'int', min: 1, max: 2, step: 0 }],
      'param "n": step 0 must be greater than 0',
    ],
    [
      'a fractional int',
      [{ name: 'n', kind: 'int', min: 1.5, max: 2 }],
      'param "n": an int range needs whole min and max, got 1.5:2',
    ],
    [
      'a fractional int step',
      [{ name: 'n', kind: 'int', min: 1, max: 9, step: 0.5 }],
      'param "n": an int range needs a whole step, got 0.5',
    ],
    [
      'an infinite bound',
      [{ name: 'x', kind: 'float', min: 0, max: Number.POSITIVE_INFINITY }],
      'param "x": min 0 and max Infinity must be finite numbers',
    ],
    [
      'an unknown kind',
      [{ name: 'x', kind: 'bool' as 'int', min: 0, max: 1 }],
      'param "x": kind "bool" must be "int" or "float"',
    ],
    [
      'a repeated name',
      [
        { name: 'n', kind: 'int', min: 1, max: 2 },
        { name: 'n', kind: 'int', min: 1, max: 3 },
      ],
      'search space names "n" twice',
    ],
    ['an empty axis', { n: [] }, 'param "n" has no values to try'],
    ['a repeated axis value', { n: [1, 2, 1] }, 'param "n" lists 1 twice'],
    ['a NaN axis value', { n: [1, Number.NaN] }, 'param "n": value NaN is not finite'],
  ])('refuses %s', (_, space, message) => {
    expect(() => toDimensions(space)).toThrow(message);
  });
});
