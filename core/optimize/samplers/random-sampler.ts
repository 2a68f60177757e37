/** Random search: seeded, uniform over the space, never proposing the same parameter set twice. */
import { createRandom, type Random } from '../../random.js';
import type { Params } from '../param-space.js';
import {
  type Dimension,
  paramsKey,
  type SearchSpace,
  spaceSize,
  toDimensions,
} from '../search-space.js';
import type { Sampler } from './sampler.js';

/** Settings of a random sampler. */
export interface RandomSamplerOptions {
  /** Seeds the stream; ignored when `random` is given. */
  seed?: number;
  /** A stream to draw from instead, so that a sampler built on this one stays on one seed. */
  random?: Random;
  /** Parameter sets to skip (say fast >= slow). */
  accept?: (params: Params) => boolean;
  /** Keys (paramsKey) of sets already taken, shared with a sampler that also proposes points. */
  seen?: Set<string>;
}

/**
 * Spaces up to this size are listed in full, so that sampling without replacement is exact and the
 * sampler knows when it has proposed every accepted set. Larger or continuous spaces sample with
 * rejection instead.
 */
const ENUMERATE_LIMIT = 100_000;

/** Rejection sampling gives up (done) after this many duplicate or rejected draws in a row. */
const MAX_REJECTIONS = 10_000;

/**
 * Creates a random sampler: ints and stepped floats uniformly over their grid points, plain floats
 * uniformly over [min, max], listed axes uniformly over their values. tell() is ignored: random
 * search does not learn.
 */
export function createRandomSampler(
  space: SearchSpace,
  options: RandomSamplerOptions = {},
): Sampler {
  const dimensions = toDimensions(space);
  const random = options.random ?? createRandom(options.seed ?? 1);
  const accept = options.accept ?? (() => true);
  const seen = options.seen ?? new Set<string>();
  const draw =
    spaceSize(dimensions) <= ENUMERATE_LIMIT
      ? drawFromList(dimensions, random, accept, seen)
      : drawWithRejection(dimensions, random, accept, seen);
  return {
    ask(n) {
      const out: Params[] = [];
      while (out.length < n) {
        const params = draw.next();
        if (!params) break;
        seen.add(paramsKey(params, dimensions));
        out.push(params);
      }
      return out;
    },
    tell() {},
    done: () => draw.exhausted(),
  };
}

interface Draw {
  /** An accepted, unseen parameter set, or undefined when there is none left. */
  next(): Params | undefined;
  exhausted(): boolean;
}

/** Lists every accepted set once, then draws without replacement (a Fisher–Yates shuffle, lazily). */
function drawFromList(
  dimensions: readonly Dimension[],
  random: Random,
  accept: (params: Params) => boolean,
  seen: Set<string>,
): Draw {
  let pool: Params[] | undefined;
  let taken = 0;
  const list = (): Params[] => {
    pool ??= enumerate(dimensions).filter(accept);
    return pool;
  };
  // A set another sampler took (listed in `seen`) is skipped when it comes up.
  const unseenAt = (i: number): boolean => !seen.has(paramsKey(list()[i] as Params, dimensions));
  return {
    next() {
      const all = list();
      while (taken < all.length) {
        const j = random.int(taken, all.length - 1);
        const chosen = all[j] as Params;
        all[j] = all[taken] as Params;
        all[taken] = chosen;
        taken++;
        if (!seen.has(paramsKey(chosen, dimensions))) return chosen;
      }
      return undefined;
    },
    exhausted() {
      for (let i = taken; i < list().length; i++) if (unseenAt(i)) return false;
      return true;
    },
  };
}

function drawWithRejection(
  dimensions: readonly Dimension[],
  random: Random,
  accept: (params: Params) => boolean,
  seen: Set<string>,
): Draw {
  let gaveUp = false;
  return {
    next() {
      for (let attempt = 0; attempt < MAX_REJECTIONS && !gaveUp; attempt++) {
        const params = randomParams(dimensions, random);
        if (!seen.has(paramsKey(params, dimensions)) && accept(params)) return params;
      }
      gaveUp = true;
      return undefined;
    },
    exhausted: () => gaveUp,
  };
}

/** One uniform draw from the whole space (it may be rejected or already seen). */
function randomParams(dimensions: readonly Dimension[], random: Random): Params {
  const params: Params = {};
  for (const dim of dimensions) {
    params[dim.name] =
      dim.kind === 'discrete'
        ? dim.valueAt(random.int(0, dim.count - 1))
        : dim.min + random.next() * (dim.max - dim.min);
  }
  return params;
}

/** Every parameter set of a finite space, the first dimension outermost. */
function enumerate(dimensions: readonly Dimension[]): Params[] {
  let sets: Params[] = [{}];
  for (const dim of dimensions) {
    if (dim.kind !== 'discrete') throw new Error(`cannot list continuous param "${dim.name}"`);
    const next: Params[] = [];
    for (const params of sets) {
      for (let i = 0; i < dim.count; i++) next.push({ ...params, [dim.name]: dim.valueAt(i) });
    }
    sets = next;
  }
  return sets;
}
