/** Strategy parameter ranges: the ParamSpec type, the CLI grid and params syntax, grid enumeration. */

/** One set of strategy parameters, by name. */
export type Params = Record<string, number>;

/** The values to try for each parameter, by name; a grid search walks their Cartesian product. */
export type GridAxes = Record<string, number[]>;

/** The search range a strategy declares for one of its parameters. */
export interface ParamSpec {
  name: string;
  kind: 'int' | 'float';
  min: number;
  max: number;
  /** Grid spacing from `min`; ints default to 1, floats without a step are continuous. */
  step?: number;
}

/** The most combinations a grid may have: beyond this a grid search is a mistake, not a plan. */
export const MAX_COMBINATIONS = 1_000_000;

/** A parameter range or value a user wrote is invalid; the message names the bad part. */
export class ParamSpecError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ParamSpecError';
  }
}

/** What a parameter name may look like: an identifier, so that it survives every CLI and URL. */
export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The values min, min + step, … up to max. Each value is rounded to the decimals of min and step
 * so that 0.1:0.3:0.1 gives 0.3, not 0.30000000000000004 (which would never equal a typed 0.3).
 */
export function stepValues(min: number, max: number, step: number): number[] {
  const count = stepCount(min, max, step);
  const values: number[] = [];
  for (let i = 0; i < count; i++) values.push(valueAtStep(min, step, i));
  return values;
}

/** How many grid points min, min + step, … fit in [min, max], allowing for float error. */
export function stepCount(min: number, max: number, step: number): number {
  return Math.floor((max - min) / step + 1e-9) + 1;
}

/** The i-th grid point from min, rounded as in stepValues. */
export function valueAtStep(min: number, step: number, i: number): number {
  const decimals = Math.min(12, Math.max(decimalPlaces(min), decimalPlaces(step)));
  return Number((min + i * step).toFixed(decimals));
}

function decimalPlaces(x: number): number {
  const [mantissa = '', exponent] = String(x).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

/**
 * Parses the CLI grid syntax `fast=5:50:5,slow=20:200:20` into axes. Each part is `name=min:max:step`
 * (a range, both ends included), `name=value` or `name=a|b|c` (a list, kept in the order given).
 * Throws ParamSpecError naming the bad part.
 */
export function parseGridSpec(text: string): GridAxes {
  if (text.trim() === '') {
    throw new ParamSpecError('grid spec is empty; expected e.g. fast=5:50:5,slow=20:200:20');
  }
  const axes: GridAxes = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    const [name, body] = splitAssignment(part, 'grid spec', 'fast=5:50:5, fast=10 or fast=5|10|20');
    if (Object.hasOwn(axes, name)) {
      throw new ParamSpecError(`grid spec names "${name}" twice; give each parameter once`);
    }
    axes[name] = body.includes(':') ? parseRange(name, body) : parseList(name, body);
  }
  const total = countCombinations(axes);
  if (total > MAX_COMBINATIONS) {
    const sizes = Object.entries(axes).map(([name, values]) => `${name}: ${values.length}`);
    throw new ParamSpecError(
      `grid spec has ${total} combinations (${sizes.join(', ')}); the limit is ${MAX_COMBINATIONS}. ` +
        'Use coarser steps, or random/tpe search.',
    );
  }
  return axes;
}

/** Parses `fast=10,slow=50` into one parameter set; throws ParamSpecError naming the bad part. */
export function parseParams(text: string): Params {
  if (text.trim() === '') {
    throw new ParamSpecError('params are empty; expected e.g. fast=10,slow=50');
  }
  const params: Params = {};
  for (const part of text.split(',').map((p) => p.trim())) {
    const [name, body] = splitAssignment(part, 'params', 'fast=10');
    if (Object.hasOwn(params, name)) {
      throw new ParamSpecError(`params name "${name}" twice; give each parameter once`);
    }
    params[name] = parseNumber(name, body, part);
  }
  return params;
}

/** The number of combinations in the Cartesian product of the axes (before any filter). */
export function countCombinations(axes: GridAxes): number {
  return Object.values(axes).reduce((product, values) => product * values.length, 1);
}

/**
 * Every combination of the axes in a fixed order: the first axis outermost, each axis in the order
 * of its values, so `{fast:[5,10], slow:[20,40]}` gives (5,20) (5,40) (10,20) (10,40). Combinations
 * the `accept` predicate rejects (say fast >= slow) are skipped.
 */
export function gridCombinations(axes: GridAxes, accept?: (params: Params) => boolean): Params[] {
  const total = countCombinations(axes);
  if (total > MAX_COMBINATIONS) {
    throw new ParamSpecError(
      `grid has ${total} combinations; the limit is ${MAX_COMBINATIONS}. Use coarser steps, or random/tpe search.`,
    );
  }
  const entries = Object.entries(axes);
  const combinations: Params[] = [];
  const current: Params = {};
  const walk = (depth: number): void => {
    const entry = entries[depth];
    if (!entry) {
      const params = { ...current };
      if (!accept || accept(params)) combinations.push(params);
      return;
    }
    const [name, values] = entry;
    for (const value of values) {
      current[name] = value;
      walk(depth + 1);
    }
  };
  walk(0);
  return combinations;
}

function splitAssignment(part: string, what: string, example: string): [string, string] {
  if (part === '') {
    throw new ParamSpecError(
      `${what} has an empty part (two commas in a row, or a trailing comma)`,
    );
  }
  const eq = part.indexOf('=');
  if (eq < 0) {
    throw new ParamSpecError(`${what} part "${part}" has no "="; expected e.g. ${example}`);
  }
  const name = part.slice(0, eq).trim();
  const body = part.slice(eq + 1).trim();
  if (!PARAM_NAME.test(name)) {
    throw new ParamSpecError(
      `${what} part "${part}": "${name}" is not a parameter name (letters, digits and _, not starting with a digit)`,
    );
  }
  if (body === '') {
    throw new ParamSpecError(`${what} part "${part}" has no value; expected e.g. ${example}`);
  }
  return [name, body];
}

function parseRange(name: string, body: string): number[] {
  const part = `${name}=${body}`;
  const pieces = body.split(':');
  if (pieces.length !== 3) {
    throw new ParamSpecError(
      `grid spec part "${part}": a range is min:max:step (three numbers), got ${pieces.length}`,
    );
  }
  const [min, max, step] = pieces.map((piece) => parseNumber(name, piece.trim(), part)) as [
    number,
    number,
    number,
  ];
  if (min > max) {
    throw new ParamSpecError(`grid spec part "${part}": min ${min} is greater than max ${max}`);
  }
  if (step <= 0) {
    throw new ParamSpecError(`grid spec part "${part}": step ${step} must be greater than 0`);
  }
  const count = stepCount(min, max, step);
  if (count > MAX_COMBINATIONS) {
    throw new ParamSpecError(
      `grid spec part "${part}" alone has ${count} values; the limit is ${MAX_COMBINATIONS}`,
    );
  }
  return stepValues(min, max, step);
}

function parseList(name: string, body: string): number[] {
  const part = `${name}=${body}`;
  const values = body.split('|').map((piece) => parseNumber(name, piece.trim(), part));
  const seen = new Set<number>();
  for (const value of values) {
    if (seen.has(value)) {
      throw new ParamSpecError(`grid spec part "${part}" lists ${value} twice`);
    }
    seen.add(value);
  }
  return values;
}

function parseNumber(name: string, text: string, part: string): number {
  const value = Number(text);
  if (!NUMBER.test(text) || !Number.isFinite(value)) {
    throw new ParamSpecError(`"${part}": ${name} value "${text}" is not a number`);
  }
  return value;
}
