/** Tests of the seeded random sampler: determinism, bounds, grids, dedupe and the accept filter. */
import { describe, expect, it } from 'vitest';
import type { ParamSpec, Params } from '../param-space.js';
import { createRandomSampler } from './random-sampler.js';

const space: ParamSpec[] = [
  { name: 'fast', kind: 'int', min: 5, max: 50, step: 5 },
  { name: 'slow', kind: 'int', min: 20, max: 200, step: 20 },
  { name: 'stop', kind: 'float', min: 0.01, max: 0.1 },
  { name: 'k', kind: 'float', min: 1, max: 3, step: 0.25 },
];

describe('createRandomSampler', () => {
  it('repeats itself for one seed and differs for another', () => {
    const a = createRandomSampler(space, { seed: 7 }).ask(20);
    expect(createRandomSampler(space, { seed: 7 }).ask(20)).toEqual(a);
    const b = createRandomSampler(space, { seed: 8 }).ask(20);
    expect(b).not.toEqual(a);
    // Batch sizes do not change the stream.
    const batched = createRandomSampler(space, { seed: 7 });
    expect([...batched.ask(3), ...batched.ask(17)]).toEqual(a);
  });

  it('stays in bounds and on each grid, and spreads over the range', () => {
    const draws = createRandomSampler(space, { seed: 1 }).ask(2000);
    expect(draws).toHaveLength(2000);
    const values = (name: string) => draws.map((p) => p[name] ?? Number.NaN);
    expect(new Set(values('fast'))).toEqual(new Set([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]));
    expect(new Set(values('slow'))).toEqual(
      new Set([20, 40, 60, 80, 100, 120, 140, 160, 180, 200]),
    );
    expect(new Set(values('k'))).toEqual(new Set([1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3]));
    const stops = values('stop');
    expect(Math.min(...stops)).toBeGreaterThanOrEqual(0.01);
    expect(Math.max(...stops)).toBeLessThan(0.1);
    const meanStop = stops.reduce((s, x) => s + x, 0) / stops.length;
    expect(meanStop).toBeCloseTo(0.055, 2);
  });

  it('never repeats a set, honours accept, and runs out after the 90 fast < slow pairs', () => {
    const sampler = createRandomSampler(space.slice(0, 2), {
      seed: 3,
      accept: (p) => (p.fast ?? 0) < (p.slow ?? 0),
    });
    const first = sampler.ask(60);
    expect(sampler.done()).toBe(false);
    const all = [...first, ...sampler.ask(60)];
    expect(all).toHaveLength(90);
    expect(new Set(all.map((p) => `${p.fast},${p.slow}`)).size).toBe(90);
    expect(all.every((p) => (p.fast ?? 0) < (p.slow ?? 0))).toBe(true);
    expect(sampler.done()).toBe(true);
    expect(sampler.ask(1)).toEqual([]);
  });

  it('samples a space too big to list by rejection, still without repeats', () => {
    const big: ParamSpec[] = [
      { name: 'a', kind: 'int', min: 1, max: 1000 },
      { name: 'b', kind: 'int', min: 1, max: 1000 },
    ];
    const sampler = createRandomSampler(big, { seed: 9, accept: (p) => (p.a ?? 0) < (p.b ?? 0) });
    const draws = sampler.ask(5000);
    expect(new Set(draws.map((p) => `${p.a},${p.b}`)).size).toBe(5000);
    expect(draws.every((p) => (p.a ?? 0) < (p.b ?? 0))).toBe(true);
    expect(sampler.done()).toBe(false);
  });

  it('gives up, and says it is done, when rejection finds nothing new', () => {
    const sampler = createRandomSampler([{ name: 'x', kind: 'float', min: 0, max: 1 }], {
      seed: 1,
      accept: () => false,
    });
    expect(sampler.ask(3)).toEqual([]);
    expect(sampler.done()).toBe(true);
  });

  it('skips sets listed in a shared seen set', () => {
    const seen = new Set(['1', '2']);
    const sampler = createRandomSampler({ n: [1, 2, 3, 4] }, { seed: 1, seen });
    const draws: Params[] = sampler.ask(10);
    expect(draws.map((p) => p.n).sort()).toEqual([3, 4]);
    expect(seen).toEqual(new Set(['1', '2', '3', '4']));
    expect(sampler.done()).toBe(true);
  });
});
