/** Grid search: every accepted combination once, in gridCombinations' fixed order. */
import {
  type GridAxes,
  gridCombinations,
  MAX_COMBINATIONS,
  ParamSpecError,
  type Params,
} from '../param-space.js';
import { type SearchSpace, spaceSize, toDimensions } from '../search-space.js';
import type { Sampler } from './sampler.js';

/** A grid sampler also knows up front how many combinations it will propose. */
export interface GridSampler extends Sampler {
  readonly total: number;
}

/**
 * Creates an exhaustive sampler. Axes keep the order the user wrote; ParamSpecs become axes of
 * their grid points (ints step 1 unless they say otherwise). A float without a step has no grid
 * and is refused.
 */
export function createGridSampler(
  space: SearchSpace,
  accept?: (params: Params) => boolean,
): GridSampler {
  const combinations = gridCombinations(gridAxes(space), accept);
  let next = 0;
  return {
    total: combinations.length,
    ask(n) {
      const batch = combinations.slice(next, next + Math.max(0, n));
      next += batch.length;
      return batch;
    },
    tell() {},
    done: () => next >= combinations.length,
  };
}

/** The axes a grid search walks: explicit axes as given, specs expanded to their grid points. */
export function gridAxes(space: SearchSpace): GridAxes {
  const dimensions = toDimensions(space);
  if (!Array.isArray(space)) return space as GridAxes;
  const axes: GridAxes = {};
  for (const dim of dimensions) {
    if (dim.kind === 'continuous') {
      throw new ParamSpecError(
        `grid search needs a step for float param "${dim.name}" (${dim.min}..${dim.max}); give one, or use random/tpe search`,
      );
    }
  }
  // Checked before listing values: an int range of 1..1e9 must fail here, not exhaust memory.
  const size = spaceSize(dimensions);
  if (size > MAX_COMBINATIONS) {
    throw new ParamSpecError(
      `grid has ${size} combinations; the limit is ${MAX_COMBINATIONS}. Use coarser steps, or random/tpe search.`,
    );
  }
  for (const dim of dimensions) {
    if (dim.kind === 'continuous') continue;
    axes[dim.name] = Array.from({ length: dim.count }, (_, i) => dim.valueAt(i));
  }
  return axes;
}
