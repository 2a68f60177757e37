/** Tests of the grid and params syntax and of grid enumeration. */
import { describe, expect, it } from 'vitest';
import {
  countCombinations,
  gridCombinations,
  MAX_COMBINATIONS,
  ParamSpecError,
  parseGridSpec,
  parseParams,
  stepValues,
} from './param-space.js';

describe('parseGridSpec', () => {
  it('reads ranges with both ends included', () => {
    expect(parseGridSpec('fast=5:50:5,slow=20:200:20')).toEqual({
      fast: [5, 10, 15, 20, 25, 30, 35, 40, 45, 50],
      slow: [20, 40, 60, 80, 100, 120, 140, 160, 180, 200],
    });
  });

  it('stops a range at the last step that fits under max', () => {
    expect(parseGridSpec('n=1:10:4')).toEqual({ n: [1, 5, 9] });
  });

  it('reads single values, lists in the order given, spaces, negatives and decimals', () => {
    expect(parseGridSpec(' fast = 10 , slow=50|20|100, stop=-0.5:0.5:0.25, k=1e2')).toEqual({
      fast: [10],
      slow: [50, 20, 100],
      stop: [-0.5, -0.25, 0, 0.25, 0.5],
      k: [100],
    });
  });

  it('gives float steps as typed decimals, not accumulated float error', () => {
    expect(parseGridSpec('atr=0.1:0.7:0.1').atr).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(stepValues(1, 2, 0.25)).toEqual([1, 1.25, 1.5, 1.75, 2]);
  });

  it('accepts a range with min equal to max', () => {
    expect(parseGridSpec('fast=7:7:1')).toEqual({ fast: [7] });
  });

  it.each([
    ['', 'grid spec is empty; expected e.g. fast=5:50:5,slow=20:200:20'],
    ['fast=5:50:5,', 'grid spec has an empty part (two commas in a row, or a trailing comma)'],
    [
      'fast',
      'grid spec part "fast" has no "="; expected e.g. fast=5:50:5, fast=10 or fast=5|10|20',
    ],
    ['fast=', 'grid spec part "fast=" has no value'],
    [
      '2fast=5',
      'grid spec part "2fast=5": "2fast" is not a parameter name (letters, digits and _, not starting with a digit)',
    ],
    ['fast=50:5:5', 'grid spec part "fast=50:5:5": min 50 is greater than max 5'],
    ['fast=5:50:0', 'grid spec part "fast=5:50:0": step 0 must be greater than 0'],
    ['fast=5:50:-5', 'grid spec part "fast=5:50:-5": step -5 must be greater than 0'],
    ['fast=5:50', 'grid spec part "fast=5:50": a range is min:max:step (three numbers), got 2'],
    ['fast=5:x:5', '"fast=5:x:5": fast value "x" is not a number'],
    ['fast=ten', '"fast=ten": fast value "ten" is not a number'],
    ['fast=0x10', '"fast=0x10": fast value "0x10" is not a number'],
    ['fast=Infinity', '"fast=Infinity": fast value "Infinity" is not a number'],
    ['fast=5|', '"fast=5|": fast value "" is not a number'],
    ['fast=5|10|5', 'grid spec part "fast=5|10|5" lists 5 twice'],
    ['fast=5,slow=6,fast=7', 'grid spec names "fast" twice; give each parameter once'],
    [
      'fast=1:2000000:1',
      'grid spec part "fast=1:2000000:1" alone has 2000000 values; the limit is 1000000',
    ],
    [
      'a=1:1000:1,b=1:1001:1',
      'grid spec has 1001000 combinations (a: 1000, b: 1001); the limit is 1000000. Use coarser steps, or random/tpe search.',
    ],
  ])('refuses %j with a message naming the bad part', (text, message) => {
    expect(() => parseGridSpec(text)).toThrow(ParamSpecError);
    expect(() => parseGridSpec(text)).toThrow(message);
  });

  it('makes ParamSpecError a RangeError with its own name', () => {
    const error = new ParamSpecError('x');
    expect(error).toBeInstanceOf(RangeError);
    expect(error.name).toBe('ParamSpecError');
  });

  it('allows exactly the combination limit', () => {
    expect(countCombinations(parseGridSpec('a=1:1000:1,b=1:1000:1'))).toBe(MAX_COMBINATIONS);
  });
});

describe('gridCombinations', () => {
  it('walks the first axis outermost, each axis in its given order', () => {
    expect(gridCombinations({ fast: [5, 10], slow: [40, 20], k: [1] })).toEqual([
      { fast: 5, slow: 40, k: 1 },
      { fast: 5, slow: 20, k: 1 },
      { fast: 10, slow: 40, k: 1 },
      { fast: 10, slow: 20, k: 1 },
    ]);
  });

  it('gives exactly the 90 fast < slow pairs of fast 5..50/5 × slow 20..200/20', () => {
    const axes = parseGridSpec('fast=5:50:5,slow=20:200:20');
    expect(countCombinations(axes)).toBe(100);
    const pairs = gridCombinations(axes, (p) => (p.fast ?? 0) < (p.slow ?? 0));
    expect(pairs).toHaveLength(90);
    expect(pairs.slice(0, 4)).toEqual([
      { fast: 5, slow: 20 },
      { fast: 5, slow: 40 },
      { fast: 5, slow: 60 },
      { fast: 5, slow: 80 },
    ]);
    expect(pairs.at(-1)).toEqual({ fast: 50, slow: 200 });
    // slow = 20 keeps fast 5, 10, 15; slow = 40 keeps fast 5 … 35.
    expect(pairs.filter((p) => p.slow === 20).map((p) => p.fast)).toEqual([5, 10, 15]);
    expect(pairs.filter((p) => p.slow === 40)).toHaveLength(7);
    expect(pairs.some((p) => (p.fast ?? 0) >= (p.slow ?? 0))).toBe(false);
  });

  it('gives nothing for an empty axis and one empty set for no axes', () => {
    expect(gridCombinations({ fast: [1, 2], slow: [] })).toEqual([]);
    expect(gridCombinations({})).toEqual([{}]);
  });

  it('hands the predicate copies, so it cannot change the next combination', () => {
    const kept = gridCombinations({ a: [1, 2], b: [3] }, (p) => {
      p.b = 99;
      return true;
    });
    expect(kept).toEqual([
      { a: 1, b: 99 },
      { a: 2, b: 99 },
    ]);
  });

  it('refuses more than the combination limit', () => {
    const big = {
      a: Array.from({ length: 1001 }, (_, i) => i),
      b: Array.from({ length: 1000 }, (_, i) => i),
    };
    expect(() => gridCombinations(big)).toThrow(
      'grid has 1001000 combinations; the limit is 1000000. Use coarser steps, or random/tpe search.',
    );
  });
});

describe('parseParams', () => {
  it('reads one parameter set', () => {
    expect(parseParams('fast=10,slow=50')).toEqual({ fast: 10, slow: 50 });
    expect(parseParams(' stop = -1.5e-1 ')).toEqual({ stop: -0.15 });
  });

  it.each([
    ['', 'params are empty; expected e.g. fast=10,slow=50'],
    ['fast=10,,slow=5', 'params has an empty part (two commas in a row, or a trailing comma)'],
    ['fast:10', 'params part "fast:10" has no "="; expected e.g. fast=10'],
    ['fast=', 'params part "fast=" has no value; expected e.g. fast=10'],
    ['my-param=1', 'params part "my-param=1": "my-param" is not a parameter name'],
    ['fast=abc', '"fast=abc": fast value "abc" is not a number'],
    ['fast=5:10:1', '"fast=5:10:1": fast value "5:10:1" is not a number'],
    ['fast=1,fast=2', 'params name "fast" twice; give each parameter once'],
  ])('refuses %j with a message naming the bad part', (text, message) => {
    expect(() => parseParams(text)).toThrow(ParamSpecError);
    expect(() => parseParams(text)).toThrow(message);
  });
});
