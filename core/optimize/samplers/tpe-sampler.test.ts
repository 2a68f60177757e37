/** Tests of the TPE sampler: it learns, it is deterministic, it stays on the grid, it handles several objectives. */
import { describe, expect, it } from 'vitest';
import type { ParamSpec, Params } from '../param-space.js';
import { createRandomSampler } from './random-sampler.js';
import type { Sampler } from './sampler.js';
import { createTpeSampler } from './tpe-sampler.js';

// A 101 × 101 int grid (10,201 points) with a quadratic bowl whose top, 0, is at (37, 71).
const bowlSpace: ParamSpec[] = [
  { name: 'x', kind: 'int', min: 0, max: 100 },
  { name: 'y', kind: 'int', min: 0, max: 100 },
];
const bowl = (p: Params): number => 0 - (((p.x ?? 0) - 37) ** 2 + ((p.y ?? 0) - 71) ** 2);

/** Runs a sampler one trial at a time; returns the best score and when the optimum was first hit. */
function optimise(sampler: Sampler, budget: number, f: (p: Params) => number | null) {
  let best = Number.NEGATIVE_INFINITY;
  let firstOptimum: number | null = null;
  for (let trial = 1; trial <= budget; trial++) {
    const [params] = sampler.ask(1);
    if (!params) break;
    const score = f(params);
    if (score !== null && score > best) best = score;
    if (score === 0 && firstOptimum === null) firstOptimum = trial;
    sampler.tell([{ params, scores: [score] }]);
  }
  return { best, firstOptimum };
}

describe('createTpeSampler', () => {
  it('finds the exact top of a 10,201-point bowl within 100 trials, for every seed', () => {
    const hits = [1, 2, 3, 4, 5].map(
      (seed) => optimise(createTpeSampler(bowlSpace, { seed }), 150, bowl).firstOptimum,
    );
    // Under 1 % of the 10,201 evaluations a grid search needs to be sure of it.
    for (const trial of hits) expect(trial).toBeLessThanOrEqual(100);
    expect(hits.every((trial) => trial !== null && trial > 10)).toBe(true);
  });

  it('beats random search on average over seeds at the same budget', () => {
    const seeds = [11, 12, 13, 14, 15, 16];
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const tpe = seeds.map((seed) => optimise(createTpeSampler(bowlSpace, { seed }), 80, bowl).best);
    const random = seeds.map(
      (seed) => optimise(createRandomSampler(bowlSpace, { seed }), 80, bowl).best,
    );
    expect(mean(tpe)).toBeGreaterThan(mean(random));
    // Random search at 80 of 10,201 points typically misses by tens; TPE by a few.
    expect(mean(tpe)).toBeGreaterThan(-5);
    expect(mean(random)).toBeLessThan(-5);
  });

  it('proposes the same points for the same seed and results', () => {
    const run = (seed: number) => {
      const sampler = createTpeSampler(bowlSpace, { seed, nStartupTrials: 5 });
      const asked: Params[] = [];
      for (let i = 0; i < 6; i++) {
        const batch = sampler.ask(4);
        asked.push(...batch);
        sampler.tell(batch.map((params) => ({ params, scores: [bowl(params)] })));
      }
      return asked;
    };
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
    expect(run(3)).toHaveLength(24);
  });

  it('stays on stepped grids and in range, honours accept, and never repeats a point', () => {
    const space: ParamSpec[] = [
      { name: 'fast', kind: 'int', min: 5, max: 50, step: 5 },
      { name: 'slow', kind: 'int', min: 20, max: 200, step: 20 },
      { name: 'k', kind: 'float', min: 0.5, max: 2, step: 0.25 },
    ];
    const accept = (p: Params) => (p.fast ?? 0) < (p.slow ?? 0);
    const sampler = createTpeSampler(space, { seed: 2, accept, nStartupTrials: 5 });
    const asked: Params[] = [];
    for (let i = 0; i < 40; i++) {
      const batch = sampler.ask(3);
      asked.push(...batch);
      sampler.tell(
        batch.map((params) => ({ params, scores: [-Math.abs((params.k ?? 0) - 1.25)] })),
      );
    }
    expect(asked).toHaveLength(120);
    expect(new Set(asked.map((p) => `${p.fast},${p.slow},${p.k}`)).size).toBe(120);
    for (const p of asked) {
      expect(accept(p)).toBe(true);
      expect([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]).toContain(p.fast);
      expect((p.slow ?? 0) % 20).toBe(0);
      expect([0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]).toContain(p.k);
    }
    // It learned that k = 1.25 is best: most model-driven proposals use it or a neighbour.
    const late = asked.slice(60).filter((p) => Math.abs((p.k ?? 0) - 1.25) <= 0.25);
    expect(late.length / 60).toBeGreaterThan(0.6);
  });

  it('runs out, and says done, after every accepted point of a small space', () => {
    const sampler = createTpeSampler(
      { a: [1, 2, 3], b: [1, 2, 3] },
      {
        seed: 1,
        nStartupTrials: 2,
        accept: (p) => p.a !== p.b,
      },
    );
    const asked: Params[] = [];
    for (let i = 0; i < 10 && !sampler.done(); i++) {
      const batch = sampler.ask(2);
      asked.push(...batch);
      sampler.tell(batch.map((params) => ({ params, scores: [params.a ?? 0] })));
    }
    expect(asked).toHaveLength(6);
    expect(new Set(asked.map((p) => `${p.a},${p.b}`)).size).toBe(6);
    expect(sampler.done()).toBe(true);
  });

  it('never puts failed (null) trials in the good group', () => {
    // Everything right of x = 50 fails; the optimum (37, 71) is still found.
    const f = (p: Params) => ((p.x ?? 0) > 50 ? null : bowl(p));
    const { best } = optimise(createTpeSampler(bowlSpace, { seed: 6 }), 150, f);
    expect(best).toBe(0);
  });

  it('searches a continuous range too', () => {
    const space: ParamSpec[] = [{ name: 'stop', kind: 'float', min: 0, max: 1 }];
    const f = (p: Params) => -(((p.stop ?? 0) - 0.3) ** 2);
    const { best } = optimise(createTpeSampler(space, { seed: 1 }), 60, f);
    // Within 0.01 of 0.3.
    expect(best).toBeGreaterThan(-1e-4);
  });

  it('with two objectives, concentrates on the Pareto set (y = 50, 20 <= x <= 80)', () => {
    const scores = (p: Params) => {
      const x = p.x ?? 0;
      const dy = ((p.y ?? 0) - 50) ** 2;
      return [-((x - 20) ** 2) - dy, -((x - 80) ** 2) - dy];
    };
    const nearFront = (p: Params) =>
      Math.abs((p.y ?? 0) - 50) <= 5 && (p.x ?? 0) >= 20 && (p.x ?? 0) <= 80;
    const shareNearFront = (sampler: Sampler): number => {
      let near = 0;
      for (let trial = 0; trial < 80; trial++) {
        const [params] = sampler.ask(1);
        if (!params) break;
        if (trial >= 20 && nearFront(params)) near++;
        sampler.tell([{ params, scores: scores(params) }]);
      }
      return near / 60;
    };
    const seeds = [1, 2, 3, 4, 5];
    const tpe = seeds.map((seed) => shareNearFront(createTpeSampler(bowlSpace, { seed })));
    const random = seeds.map((seed) => shareNearFront(createRandomSampler(bowlSpace, { seed })));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    // The region is 61 × 11 of 101 × 101 points, about 6.6 %: random stays near that.
    expect(mean(random)).toBeLessThan(0.15);
    expect(mean(tpe)).toBeGreaterThan(0.6);
  });

  it('refuses out-of-range settings, naming the value', () => {
    expect(() => createTpeSampler(bowlSpace, { gamma: 0 })).toThrow(
      'TPE gamma 0 must be in (0, 1]',
    );
    expect(() => createTpeSampler(bowlSpace, { gamma: 1.5 })).toThrow(
      'TPE gamma 1.5 must be in (0, 1]',
    );
    expect(() => createTpeSampler(bowlSpace, { nStartupTrials: 0 })).toThrow(
      'TPE nStartupTrials 0 must be a whole number >= 1',
    );
    expect(() => createTpeSampler(bowlSpace, { nEiCandidates: 2.5 })).toThrow(
      'TPE nEiCandidates 2.5 must be a whole number >= 1',
    );
    expect(() => createTpeSampler(bowlSpace, { priorWeight: -1 })).toThrow(
      'TPE priorWeight -1 must be a positive number',
    );
  });
});
