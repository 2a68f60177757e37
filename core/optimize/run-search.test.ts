/** Tests of the search driver: batching, ranking, determinism, errors and cancellation. */
import { describe, expect, it } from 'vitest';
import type { Metrics } from '../metrics/metrics.js';
import { metricsFixture } from './metrics-fixture.js';
import { objectiveByName } from './objectives/index.js';
import { type ParamSpec, type Params, parseGridSpec } from './param-space.js';
import { dominates } from './pareto.js';
import {
  type RunSearchOptions,
  runSearch,
  SearchAbortedError,
  type SearchTrial,
} from './run-search.js';

const sharpe = objectiveByName('sharpe');
const drawdown = objectiveByName('max_drawdown');

// Sharpe peaks at 2 for fast = 20, slow = 120; drawdown grows with fast, so the two conflict.
const backtest = (p: Params): Metrics =>
  metricsFixture({
    sharpe: 2 - (((p.fast ?? 0) - 20) ** 2 + ((p.slow ?? 0) - 120) ** 2) / 1000,
    maxDrawdownDepth: (p.fast ?? 0) / 100,
  });
const evaluateBatch = async (batch: Params[]) => batch.map(backtest);
const fastBelowSlow = (p: Params) => (p.fast ?? 0) < (p.slow ?? 0);
const grid = parseGridSpec('fast=5:50:5,slow=20:200:20');

const base: RunSearchOptions = {
  space: grid,
  method: 'grid',
  accept: fastBelowSlow,
  objectives: [sharpe],
  evaluateBatch,
};

describe('runSearch', () => {
  it('evaluates all 90 grid pairs in batches, reports progress and picks the best', async () => {
    const batches: number[] = [];
    const progress: [number, number][] = [];
    const result = await runSearch({
      ...base,
      evaluateBatch: async (batch) => {
        batches.push(batch.length);
        return batch.map(backtest);
      },
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(result.trials).toHaveLength(90);
    expect(result.trials[0]?.params).toEqual({ fast: 5, slow: 20 });
    expect(batches).toEqual([8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 2]);
    expect(progress.at(0)).toEqual([8, 90]);
    expect(progress.at(-1)).toEqual([90, 90]);
    expect(progress).toHaveLength(12);
    expect(result.best?.params).toEqual({ fast: 20, slow: 120 });
    expect(result.best?.scores).toEqual({ sharpe: 2 });
    expect(result.front.map((t) => t.params)).toEqual([{ fast: 20, slow: 120 }]);
  });

  it('caps a grid at `trials`, in grid order', async () => {
    const result = await runSearch({ ...base, trials: 3, batchSize: 2 });
    expect(result.trials.map((t) => t.params)).toEqual([
      { fast: 5, slow: 20 },
      { fast: 5, slow: 40 },
      { fast: 5, slow: 60 },
    ]);
  });

  it('repeats a random search exactly for a seed, and changes with the seed', async () => {
    const run = (seed: number) =>
      runSearch({ ...base, method: 'random', trials: 30, seed, batchSize: 7 });
    const a = await run(5);
    const again = await run(5);
    const other = await run(6);
    expect(a.trials).toHaveLength(30);
    expect(again.trials.map((t) => t.params)).toEqual(a.trials.map((t) => t.params));
    expect(other.trials.map((t) => t.params)).not.toEqual(a.trials.map((t) => t.params));
    const bestSharpe = Math.max(
      ...a.trials.map((t) => t.scores.sharpe ?? Number.NEGATIVE_INFINITY),
    );
    expect(a.best?.scores.sharpe).toBe(bestSharpe);
  });

  it('finds the peak of a 30,000-point space with TPE in 120 trials, deterministically', async () => {
    const space: ParamSpec[] = [
      { name: 'fast', kind: 'int', min: 1, max: 100 },
      { name: 'slow', kind: 'int', min: 1, max: 300 },
    ];
    const run = () =>
      runSearch({ ...base, space, method: 'tpe', trials: 120, seed: 3, batchSize: 4 });
    const result = await run();
    expect(result.trials).toHaveLength(120);
    // Within a Sharpe of 0.01 of the top, i.e. within about 3 steps of (20, 120).
    expect(result.best?.scores.sharpe).toBeGreaterThan(1.99);
    expect((await run()).trials.map((t) => t.params)).toEqual(result.trials.map((t) => t.params));
  });

  it('ranks a minimised objective lowest first', async () => {
    const result = await runSearch({ ...base, objectives: [drawdown] });
    expect(result.best?.params).toEqual({ fast: 5, slow: 20 });
    expect(result.best?.scores).toEqual({ max_drawdown: 0.05 });
  });

  it('returns the Pareto front, and no best, for several objectives', async () => {
    const small = await runSearch({
      ...base,
      space: parseGridSpec('fast=10|20|30,slow=120'),
      objectives: [sharpe, drawdown],
    });
    // fast 10: Sharpe 1.9, drawdown 0.1; fast 20: 2 and 0.2; fast 30: 1.9 and 0.3 (dominated).
    expect(small.best).toBeNull();
    expect(small.front.map((t) => t.params.fast)).toEqual([10, 20]);
    expect(small.front[1]?.scores).toEqual({ sharpe: 2, max_drawdown: 0.2 });

    const full = await runSearch({ ...base, objectives: [sharpe, drawdown] });
    const values = (t: SearchTrial) => [t.scores.sharpe ?? null, t.scores.max_drawdown ?? null];
    const objectives = [sharpe, drawdown];
    for (const trial of full.trials) {
      const beaten = full.trials.some((other) =>
        dominates(values(other), values(trial), objectives),
      );
      expect(full.front.includes(trial)).toBe(!beaten);
    }
    expect(full.front.length).toBeGreaterThan(2);
  });

  it('ranks failed runs and undefined figures worst and leaves them off the front', async () => {
    const result = await runSearch({
      ...base,
      space: parseGridSpec('fast=10|20|30,slow=120'),
      evaluateBatch: async (batch) =>
        batch.map((p) =>
          p.fast === 20 ? null : p.fast === 30 ? metricsFixture({ sharpe: null }) : backtest(p),
        ),
    });
    expect(result.trials.map((t) => t.scores.sharpe)).toEqual([1.9, null, null]);
    expect(result.trials[1]?.metrics).toBeNull();
    expect(result.best?.params).toEqual({ fast: 10, slow: 120 });
    expect(result.front.map((t) => t.params.fast)).toEqual([10]);
  });

  it('gives no best and no front when every run failed', async () => {
    const result = await runSearch({
      ...base,
      trials: 4,
      evaluateBatch: async (b) => b.map(() => null),
    });
    expect(result.trials).toHaveLength(4);
    expect(result.best).toBeNull();
    expect(result.front).toEqual([]);
  });

  it('stops when a random space runs out, reporting the smaller total', async () => {
    const progress: [number, number][] = [];
    const result = await runSearch({
      ...base,
      method: 'random',
      trials: 200,
      batchSize: 50,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(result.trials).toHaveLength(90);
    expect(new Set(result.trials.map((t) => `${t.params.fast},${t.params.slow}`)).size).toBe(90);
    expect(progress).toEqual([
      [50, 200],
      [90, 200],
      [90, 90],
    ]);
  });

  it('refuses bad options and a wrong number of results, naming the value', async () => {
    await expect(runSearch({ ...base, objectives: [] })).rejects.toThrow(
      'runSearch needs at least one objective',
    );
    await expect(runSearch({ ...base, batchSize: 0 })).rejects.toThrow(
      'runSearch batchSize 0 must be a whole number >= 1',
    );
    await expect(runSearch({ ...base, method: 'random', trials: 2.5 })).rejects.toThrow(
      'runSearch trials 2.5 must be a whole number >= 1',
    );
    await expect(runSearch({ ...base, method: 'anneal' as 'grid' })).rejects.toThrow(
      'unknown search method "anneal"; valid methods: grid, random, tpe',
    );
    await expect(
      runSearch({ ...base, evaluateBatch: async (b) => b.slice(1).map(backtest) }),
    ).rejects.toThrow('evaluateBatch returned 7 results for 8 parameter sets');
  });
});

describe('runSearch cancellation', () => {
  it('rejects at once when aborted mid-batch, with the trials finished so far', async () => {
    const controller = new AbortController();
    let calls = 0;
    let sawSignal: AbortSignal | undefined;
    const search = runSearch({
      ...base,
      signal: controller.signal,
      evaluateBatch: (batch, signal) => {
        calls++;
        sawSignal = signal;
        if (calls < 3) return Promise.resolve(batch.map(backtest));
        // A batch that never finishes, cancelled while it runs: runSearch must not wait for it.
        setTimeout(() => controller.abort(), 5);
        return new Promise<Metrics[]>(() => {});
      },
    });
    const error = await search.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchAbortedError);
    const aborted = error as SearchAbortedError;
    expect(aborted.name).toBe('AbortError');
    expect(aborted.message).toBe('search aborted after 16 of 90 trials');
    expect(aborted.completedTrials).toBe(16);
    expect(aborted.trials[15]?.params).toEqual({ fast: 10, slow: 120 });
    expect(aborted.cause).toBeInstanceOf(DOMException);
    expect(sawSignal).toBe(controller.signal);
    expect(calls).toBe(3);
  });

  it('also rejects when evaluateBatch aborts before it returns its promise', async () => {
    const controller = new AbortController();
    const search = runSearch({
      ...base,
      signal: controller.signal,
      evaluateBatch: () => {
        controller.abort();
        return new Promise<Metrics[]>(() => {});
      },
    });
    await expect(search).rejects.toThrow('search aborted after 0 of 90 trials');
  });

  it('stops between batches when aborted from a progress callback', async () => {
    const controller = new AbortController();
    let calls = 0;
    const search = runSearch({
      ...base,
      method: 'tpe',
      trials: 40,
      batchSize: 5,
      signal: controller.signal,
      evaluateBatch: async (batch) => {
        calls++;
        return batch.map(backtest);
      },
      onProgress: (done) => {
        if (done === 10) controller.abort(new Error('user pressed Ctrl-C'));
      },
    });
    await expect(search).rejects.toThrow('search aborted after 10 of 40 trials');
    expect(calls).toBe(2);
  });

  it('evaluates nothing when the signal is already aborted', async () => {
    let calls = 0;
    const search = runSearch({
      ...base,
      signal: AbortSignal.abort(),
      evaluateBatch: async (batch) => {
        calls++;
        return batch.map(backtest);
      },
    });
    await expect(search).rejects.toThrow('search aborted after 0 of 90 trials');
    expect(calls).toBe(0);
  });
});
