/**
 * The Tree-structured Parzen Estimator sampler: Bergstra, Bardenet, Bengio & Kégl (2011),
 * "Algorithms for Hyper-Parameter Optimization", NeurIPS 24.
 */
import { createRandom } from '../../random.js';
import type { Params } from '../param-space.js';
import { paretoRanking } from '../pareto.js';
import { type Dimension, paramsKey, type SearchSpace, toDimensions } from '../search-space.js';
import { createParzenEstimator, type ParzenEstimator } from './parzen-estimator.js';
import { createRandomSampler } from './random-sampler.js';
import type { Sampler, TrialResult } from './sampler.js';

/** TPE's knobs; the defaults are those of the paper and hyperopt. */
export interface TpeOptions {
  /** Random trials before the model is used: TPE needs observations to split. Default 10. */
  nStartupTrials?: number;
  /** Fraction of the observations that forms the "good" group l(x). Default 0.25. */
  gamma?: number;
  /** Candidates drawn from l(x) per proposal; the best l/g ratio wins. Default 24. */
  nEiCandidates?: number;
  /** Weight of the prior Gaussian in each estimator, relative to one observation. Default 1. */
  priorWeight?: number;
}

/** Settings of a TPE sampler. */
export interface TpeSamplerOptions extends TpeOptions {
  seed?: number;
  accept?: (params: Params) => boolean;
}

interface Observation {
  /** Model coordinates: the value index of a discrete parameter, the value of a continuous one. */
  x: number[];
  scores: readonly (number | null)[];
}

/**
 * Creates a TPE sampler. It models p(x | y) rather than p(y | x): the told trials are split at the
 * γ-quantile of their score into a good group and the rest, one adaptive Parzen estimator per
 * parameter is fitted to each group (l(x) for the good, g(x) for the rest, parameters treated as
 * independent, as in the paper for a space without conditional parameters), and the next point is
 * the one of `nEiCandidates` draws from l that maximises l(x)/g(x), which the paper shows is the
 * maximiser of expected improvement.
 *
 * Discrete parameters (ints, stepped floats, listed axes) are modelled on their index: bounds
 * −½ … count−½, densities as the mass of each index's bin, draws rounded, so a proposal always
 * lies on the grid. Candidates that are rejected (`accept`) or already proposed are skipped; when
 * all are, or before `nStartupTrials` results are in, a random draw is proposed instead.
 *
 * Several objectives: the split ranks trials by Pareto front and NSGA-II crowding distance rather
 * than by one score, as MOTPE does (Ozaki et al. 2020, "Multiobjective Tree-Structured Parzen
 * Estimator for Computationally Expensive Optimization Problems"), with crowding standing in for
 * its hypervolume contribution. This keeps the objectives unweighted, unlike a scalarisation that
 * would need a weight per objective nobody can justify.
 *
 * A batch from one ask() comes from one model: its points differ only through the random
 * candidate draws and the no-repeat rule, so smaller batches learn faster.
 */
export function createTpeSampler(space: SearchSpace, options: TpeSamplerOptions = {}): Sampler {
  const nStartupTrials = positiveInteger('nStartupTrials', options.nStartupTrials ?? 10);
  const nEiCandidates = positiveInteger('nEiCandidates', options.nEiCandidates ?? 24);
  const gamma = options.gamma ?? 0.25;
  if (!(gamma > 0 && gamma <= 1)) {
    throw new RangeError(`TPE gamma ${gamma} must be in (0, 1]`);
  }
  const priorWeight = options.priorWeight ?? 1;
  if (!(priorWeight > 0 && Number.isFinite(priorWeight))) {
    throw new RangeError(`TPE priorWeight ${priorWeight} must be a positive number`);
  }
  const dimensions = toDimensions(space);
  const random = createRandom(options.seed ?? 1);
  const accept = options.accept ?? (() => true);
  const seen = new Set<string>();
  const fallback = createRandomSampler(space, { random, accept, seen });
  const observations: Observation[] = [];

  const propose = (model: Model): Params | undefined => {
    let best: Params | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < nEiCandidates; c++) {
      const x = model.good.map((estimator) => estimator.sample(random));
      const params = toParams(x, dimensions);
      if (seen.has(paramsKey(params, dimensions)) || !accept(params)) continue;
      let score = 0;
      x.forEach((xd, d) => {
        score += (model.good[d]?.logDensity(xd) ?? 0) - (model.bad[d]?.logDensity(xd) ?? 0);
      });
      if (score > bestScore) {
        best = params;
        bestScore = score;
      }
    }
    return best;
  };

  return {
    ask(n) {
      const out: Params[] = [];
      const model =
        observations.length >= nStartupTrials
          ? fitModel(observations, dimensions, gamma, priorWeight)
          : undefined;
      while (out.length < n) {
        const proposed = model ? propose(model) : undefined;
        if (proposed) seen.add(paramsKey(proposed, dimensions));
        const params = proposed ?? fallback.ask(1)[0];
        if (!params) break;
        out.push(params);
      }
      return out;
    },
    tell(results: readonly TrialResult[]) {
      for (const { params, scores } of results) {
        seen.add(paramsKey(params, dimensions));
        observations.push({ x: toModel(params, dimensions), scores });
      }
    },
    done: () => fallback.done(),
  };
}

interface Model {
  good: ParzenEstimator[];
  bad: ParzenEstimator[];
}

/** Splits the observations at the γ-quantile and fits l and g per parameter; undefined if none is good. */
function fitModel(
  observations: readonly Observation[],
  dimensions: readonly Dimension[],
  gamma: number,
  priorWeight: number,
): Model | undefined {
  const ranked = rankBestFirst(observations);
  const nGood = Math.min(ranked.length, Math.ceil(gamma * ranked.length));
  // A trial with no score at all (failed, or every objective undefined) is never "good".
  const good = ranked.slice(0, nGood).filter((o) => o.scores.some((s) => s !== null));
  if (good.length === 0) return undefined;
  const bad = ranked.filter((o) => !good.includes(o));
  const estimatorsFor = (group: readonly Observation[]): ParzenEstimator[] =>
    dimensions.map((dim, d) =>
      createParzenEstimator(
        group.map((o) => o.x[d] ?? 0),
        dim.kind === 'discrete'
          ? { low: -0.5, high: dim.count - 0.5, discrete: true }
          : { low: dim.min, high: dim.max, discrete: false },
        priorWeight,
      ),
    );
  return { good: estimatorsFor(good), bad: estimatorsFor(bad) };
}

/** Best first: by score for one objective (null last), by Pareto rank for several; ties by age. */
function rankBestFirst(observations: readonly Observation[]): Observation[] {
  const objectives = observations[0]?.scores.length ?? 1;
  if (objectives <= 1) {
    const score = (o: Observation): number => o.scores[0] ?? Number.NEGATIVE_INFINITY;
    return observations
      .map((o, i) => ({ o, i }))
      .sort((a, b) => score(b.o) - score(a.o) || a.i - b.i)
      .map(({ o }) => o);
  }
  const directions = Array.from({ length: objectives }, () => ({ direction: 'maximize' as const }));
  return paretoRanking(
    observations.map((o) => o.scores),
    directions,
  ).map(({ index }) => observations[index] as Observation);
}

function toModel(params: Params, dimensions: readonly Dimension[]): number[] {
  return dimensions.map((dim) => {
    const value = params[dim.name] ?? Number.NaN;
    return dim.kind === 'discrete'
      ? dim.indexOf(value)
      : Math.min(dim.max, Math.max(dim.min, value));
  });
}

function toParams(x: readonly number[], dimensions: readonly Dimension[]): Params {
  const params: Params = {};
  dimensions.forEach((dim, d) => {
    const xd = x[d] ?? 0;
    params[dim.name] = dim.kind === 'discrete' ? dim.valueAt(xd) : xd;
  });
  return params;
}

function positiveInteger(name: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 1)) {
    throw new RangeError(`TPE ${name} ${value} must be a whole number >= 1`);
  }
  return value;
}
