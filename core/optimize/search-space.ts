/** The search space as samplers see it: each parameter a finite ordered list of values or a continuous range. */
import {
  type GridAxes,
  PARAM_NAME,
  type ParamSpec,
  ParamSpecError,
  type Params,
  stepCount,
  valueAtStep,
} from './param-space.js';

/** What a search may range over: a strategy's declared ParamSpecs, or explicit grid axes. */
export type SearchSpace = readonly ParamSpec[] | GridAxes;

/**
 * A parameter with finitely many values (an int, a stepped float or a listed axis), addressed by
 * index 0 … count−1 in ascending value order, so that samplers can treat neighbouring indices as
 * neighbouring values.
 */
export interface DiscreteDimension {
  name: string;
  kind: 'discrete';
  count: number;
  valueAt(index: number): number;
  /** The index of `value`, or of the nearest value when it is not one of them. */
  indexOf(value: number): number;
}

/** A float parameter without a step: any value in [min, max]. */
export interface ContinuousDimension {
  name: string;
  kind: 'continuous';
  min: number;
  max: number;
}

/** One searchable parameter. */
export type Dimension = DiscreteDimension | ContinuousDimension;

/** Checks a search space and turns it into dimensions; throws ParamSpecError naming the bad part. */
export function toDimensions(space: SearchSpace): Dimension[] {
  const dimensions = Array.isArray(space)
    ? (space as readonly ParamSpec[]).map(specDimension)
    : Object.entries(space as GridAxes).map(([name, values]) => axisDimension(name, values));
  if (dimensions.length === 0) {
    throw new ParamSpecError('search space has no parameters; give at least one range');
  }
  const seen = new Set<string>();
  for (const { name } of dimensions) {
    if (seen.has(name)) throw new ParamSpecError(`search space names "${name}" twice`);
    seen.add(name);
  }
  return dimensions;
}

/** How many distinct parameter sets the space holds: Infinity when any dimension is continuous. */
export function spaceSize(dimensions: readonly Dimension[]): number {
  return dimensions.reduce(
    (product, dim) => product * (dim.kind === 'discrete' ? dim.count : Number.POSITIVE_INFINITY),
    1,
  );
}

/** A string that is equal for equal parameter sets: the key samplers dedupe on. */
export function paramsKey(params: Params, dimensions: readonly Dimension[]): string {
  return dimensions.map((dim) => params[dim.name]).join(',');
}

function specDimension(spec: ParamSpec): Dimension {
  const { name, kind, min, max, step } = spec;
  const where = `param "${name}"`;
  if (!PARAM_NAME.test(name)) {
    throw new ParamSpecError(`"${name}" is not a parameter name (letters, digits and _)`);
  }
  if (kind !== 'int' && kind !== 'float') {
    throw new ParamSpecError(`${where}: kind "${String(kind)}" must be "int" or "float"`);
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new ParamSpecError(`${where}: min ${min} and max ${max} must be finite numbers`);
  }
  if (min > max) throw new ParamSpecError(`${where}: min ${min} is greater than max ${max}`);
  if (step !== undefined && !(Number.isFinite(step) && step > 0)) {
    throw new ParamSpecError(`${where}: step ${step} must be greater than 0`);
  }
  if (kind === 'int' && !(Number.isSafeInteger(min) && Number.isSafeInteger(max))) {
    throw new ParamSpecError(`${where}: an int range needs whole min and max, got ${min}:${max}`);
  }
  if (kind === 'int' && step !== undefined && !Number.isSafeInteger(step)) {
    throw new ParamSpecError(`${where}: an int range needs a whole step, got ${step}`);
  }
  const gridStep = step ?? (kind === 'int' ? 1 : undefined);
  if (gridStep === undefined) return { name, kind: 'continuous', min, max };
  const count = stepCount(min, max, gridStep);
  return {
    name,
    kind: 'discrete',
    count,
    valueAt: (index) => valueAtStep(min, gridStep, index),
    indexOf: (value) => clampIndex(Math.round((value - min) / gridStep), count),
  };
}

function axisDimension(name: string, values: readonly number[]): Dimension {
  if (!PARAM_NAME.test(name)) {
    throw new ParamSpecError(`"${name}" is not a parameter name (letters, digits and _)`);
  }
  if (values.length === 0) throw new ParamSpecError(`param "${name}" has no values to try`);
  const bad = values.find((value) => !Number.isFinite(value));
  if (bad !== undefined) throw new ParamSpecError(`param "${name}": value ${bad} is not finite`);
  const sorted = [...values].sort((a, b) => a - b);
  const repeated = sorted.find((value, i) => i > 0 && sorted[i - 1] === value);
  if (repeated !== undefined) {
    throw new ParamSpecError(`param "${name}" lists ${repeated} twice`);
  }
  return {
    name,
    kind: 'discrete',
    count: sorted.length,
    valueAt: (index) => sorted[clampIndex(index, sorted.length)] ?? Number.NaN,
    indexOf: (value) => nearestIndex(sorted, value),
  };
}

function clampIndex(index: number, count: number): number {
  return Math.min(count - 1, Math.max(0, index));
}

function nearestIndex(sorted: readonly number[], value: number): number {
  let best = 0;
  sorted.forEach((candidate, i) => {
    if (Math.abs(candidate - value) < Math.abs((sorted[best] ?? 0) - value)) best = i;
  });
  return best;
}
