/** Tests of the exhaustive grid sampler. */
import { describe, expect, it } from 'vitest';
import { parseGridSpec } from '../param-space.js';
import { createGridSampler, gridAxes } from './grid-sampler.js';

describe('createGridSampler', () => {
  it('hands out every accepted combination once, in grid order, in the batch sizes asked', () => {
    const sampler = createGridSampler(
      parseGridSpec('fast=5:50:5,slow=20:200:20'),
      (p) => (p.fast ?? 0) < (p.slow ?? 0),
    );
    expect(sampler.total).toBe(90);
    expect(sampler.ask(2)).toEqual([
      { fast: 5, slow: 20 },
      { fast: 5, slow: 40 },
    ]);
    const rest = [...sampler.ask(50), ...sampler.ask(50)];
    expect(rest).toHaveLength(88);
    expect(sampler.done()).toBe(true);
    expect(sampler.ask(5)).toEqual([]);
    expect(rest.at(-1)).toEqual({ fast: 50, slow: 200 });
  });

  it('expands ParamSpecs to their grid points', () => {
    expect(
      gridAxes([
        { name: 'n', kind: 'int', min: 2, max: 8, step: 3 },
        { name: 'k', kind: 'float', min: 1, max: 2, step: 0.5 },
      ]),
    ).toEqual({ n: [2, 5, 8], k: [1, 1.5, 2] });
    const sampler = createGridSampler([{ name: 'n', kind: 'int', min: 1, max: 3 }]);
    expect(sampler.ask(10)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('refuses a float without a step and a grid over the combination limit', () => {
    expect(() => createGridSampler([{ name: 'k', kind: 'float', min: 0, max: 1 }])).toThrow(
      'grid search needs a step for float param "k" (0..1); give one, or use random/tpe search',
    );
    expect(() =>
      createGridSampler([
        { name: 'a', kind: 'int', min: 1, max: 1_000_000_000 },
        { name: 'b', kind: 'int', min: 1, max: 10 },
      ]),
    ).toThrow('grid has 10000000000 combinations; the limit is 1000000');
  });
});
