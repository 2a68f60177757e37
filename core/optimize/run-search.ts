/** The search driver: asks a sampler for batches, has the caller evaluate them, ranks the results. */
import type { Metrics } from '../metrics/metrics.js';
import { compareValues, type Objective, orientedScore } from './objectives/objective.js';
import type { Params } from './param-space.js';
import { paretoFront } from './pareto.js';
import { createGridSampler } from './samplers/grid-sampler.js';
import { createRandomSampler } from './samplers/random-sampler.js';
import type { Sampler } from './samplers/sampler.js';
import { createTpeSampler, type TpeOptions } from './samplers/tpe-sampler.js';
import type { SearchSpace } from './search-space.js';

/** How the search picks parameter sets. */
export type SearchMethod = 'grid' | 'random' | 'tpe';

/** Everything runSearch needs; the evaluation itself (backtests, workers) is the caller's. */
export interface RunSearchOptions {
  space: SearchSpace;
  method: SearchMethod;
  /** Evaluations to run: the budget of random and TPE (default 100), a cap for grid (default all). */
  trials?: number;
  /** Seeds random and TPE; the same seed, space and batch size give the same trials. Default 1. */
  seed?: number;
  /** Parameter sets never to evaluate (say fast >= slow). */
  accept?: (params: Params) => boolean;
  /** One objective gives `best`; several give a Pareto `front`. */
  objectives: readonly Objective[];
  /** Evaluates a batch, one result per parameter set in the same order; null for a failed run. */
  evaluateBatch: (params: Params[], signal?: AbortSignal) => Promise<(Metrics | null)[]>;
  /** Parameter sets per evaluateBatch call. Default 8; TPE learns between batches, so smaller is smarter. */
  batchSize?: number;
  tpe?: TpeOptions;
  /** Called after every batch. `total` drops to `done` if the space runs out before the budget. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** One evaluated parameter set. */
export interface SearchTrial {
  params: Params;
  metrics: Metrics | null;
  /** Raw objective values by objective name (not negated for minimised objectives). */
  scores: Record<string, number | null>;
}

/** What a search found. */
export interface SearchResult {
  /** Every trial, in the order they were proposed. */
  trials: SearchTrial[];
  /** With one objective, the trial with the best value (the earliest on a tie); null otherwise. */
  best: SearchTrial | null;
  /** The non-dominated trials (trials with no defined value left out), in trial order. */
  front: SearchTrial[];
}

/** The search was cancelled; it carries the trials that finished before the signal. */
export class SearchAbortedError extends Error {
  constructor(
    readonly trials: SearchTrial[],
    readonly total: number,
    options?: { cause?: unknown },
  ) {
    super(`search aborted after ${trials.length} of ${total} trials`, options);
    this.name = 'AbortError';
  }

  /** How many trials finished before the search was cancelled. */
  get completedTrials(): number {
    return this.trials.length;
  }
}

/**
 * Runs a parameter search to the end of its budget or space. Cancelling `signal` rejects at once
 * with SearchAbortedError, without waiting for the batch in flight (whose results are dropped).
 */
export async function runSearch(options: RunSearchOptions): Promise<SearchResult> {
  const { objectives, signal } = options;
  if (objectives.length === 0) throw new RangeError('runSearch needs at least one objective');
  const batchSize = wholeNumber('batchSize', options.batchSize ?? 8);
  const budget =
    options.trials === undefined
      ? options.method === 'grid'
        ? Number.POSITIVE_INFINITY
        : 100
      : wholeNumber('trials', options.trials);
  const { sampler, total } = createSampler(options, budget);
  const trials: SearchTrial[] = [];
  const aborted = (): SearchAbortedError =>
    new SearchAbortedError([...trials], total, { cause: signal?.reason });

  while (trials.length < total && !sampler.done()) {
    if (signal?.aborted) throw aborted();
    const batch = sampler.ask(Math.min(batchSize, total - trials.length));
    if (batch.length === 0) break;
    const metrics = await untilAborted(options.evaluateBatch(batch, signal), signal, aborted);
    if (!Array.isArray(metrics) || metrics.length !== batch.length) {
      throw new Error(
        `evaluateBatch returned ${Array.isArray(metrics) ? metrics.length : typeof metrics} results for ${batch.length} parameter sets; it must return one per set, in order`,
      );
    }
    const done = batch.map((params, i) => toTrial(params, metrics[i] ?? null, objectives));
    trials.push(...done);
    sampler.tell(
      done.map((trial) => ({
        params: trial.params,
        scores: objectives.map((o) => orientedScore(o.direction, trial.scores[o.name] ?? null)),
      })),
    );
    options.onProgress?.(trials.length, total);
  }
  if (trials.length < total && trials.length > 0)
    options.onProgress?.(trials.length, trials.length);
  return { trials, best: bestTrial(trials, objectives), front: frontTrials(trials, objectives) };
}

function createSampler(
  options: RunSearchOptions,
  budget: number,
): { sampler: Sampler; total: number } {
  const { space, accept, seed = 1 } = options;
  switch (options.method) {
    case 'grid': {
      const sampler = createGridSampler(space, accept);
      return { sampler, total: Math.min(budget, sampler.total) };
    }
    case 'random':
      return { sampler: createRandomSampler(space, { seed, accept }), total: budget };
    case 'tpe':
      return { sampler: createTpeSampler(space, { ...options.tpe, seed, accept }), total: budget };
    default:
      throw new RangeError(
        `unknown search method "${String(options.method)}"; valid methods: grid, random, tpe`,
      );
  }
}

function toTrial(
  params: Params,
  metrics: Metrics | null,
  objectives: readonly Objective[],
): SearchTrial {
  const scores: Record<string, number | null> = {};
  for (const objective of objectives) {
    const value = metrics ? objective.value(metrics) : null;
    scores[objective.name] = value !== null && Number.isFinite(value) ? value : null;
  }
  return { params, metrics, scores };
}

function bestTrial(trials: readonly SearchTrial[], objectives: readonly Objective[]) {
  const [objective] = objectives;
  if (!objective || objectives.length > 1) return null;
  let best: SearchTrial | null = null;
  for (const trial of trials) {
    const value = trial.scores[objective.name] ?? null;
    if (value === null) continue;
    if (!best || compareValues(objective.direction, value, best.scores[objective.name] ?? null) < 0)
      best = trial;
  }
  return best;
}

function frontTrials(trials: readonly SearchTrial[], objectives: readonly Objective[]) {
  const values = (trial: SearchTrial) => objectives.map((o) => trial.scores[o.name] ?? null);
  const defined = trials.filter((trial) => values(trial).some((v) => v !== null));
  return paretoFront(defined, objectives, values);
}

/** The promise, unless the signal fires first: then the error `aborted` makes, at once. */
function untilAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  aborted: () => Error,
): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    // evaluateBatch may itself have aborted before returning its promise; no event will come.
    if (signal.aborted) {
      promise.catch(() => {});
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(aborted());
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function wholeNumber(name: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 1)) {
    throw new RangeError(`runSearch ${name} ${value} must be a whole number >= 1`);
  }
  return value;
}
