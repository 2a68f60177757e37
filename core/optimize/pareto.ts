/** Pareto ranking over several objectives: dominance, NSGA-II fronts and crowding distance. */
import { type Direction, orientedScore } from './objectives/objective.js';

/** The raw objective values of one point, one per objective, in the objectives' order. */
export type ObjectiveValues = readonly (number | null)[];

/** Anything that says which way is better: an Objective fits. */
export interface Directed {
  direction: Direction;
}

/** A point's place in a Pareto ranking. */
export interface ParetoRank {
  /** Index into the ranked points. */
  index: number;
  /** 0 for the non-dominated front, 1 for the front behind it, … */
  front: number;
  /** NSGA-II crowding distance within its front; Infinity at the front's extremes. */
  crowding: number;
}

/**
 * Whether `a` dominates `b`: at least as good on every objective and strictly better on one,
 * each objective judged in its own direction. A null value is worse than any number.
 */
export function dominates(
  a: ObjectiveValues,
  b: ObjectiveValues,
  objectives: readonly Directed[],
): boolean {
  let strictlyBetter = false;
  for (let m = 0; m < objectives.length; m++) {
    const va = oriented(a, m, objectives);
    const vb = oriented(b, m, objectives);
    if (va < vb) return false;
    if (va > vb) strictlyBetter = true;
  }
  return strictlyBetter;
}

/**
 * Sorts points into non-dominated fronts (Deb et al. 2002, "A fast and elitist multiobjective
 * genetic algorithm: NSGA-II"): front 0 holds the points nothing dominates, front 1 those only
 * front 0 dominates, and so on. Returns point indices per front, each front in index order.
 * O(M·N²): meant for hundreds or a few thousand trials, not a million-point grid.
 */
export function nonDominatedSort(
  points: readonly ObjectiveValues[],
  objectives: readonly Directed[],
): number[][] {
  const dominatedBy = points.map(() => 0);
  const dominating: number[][] = points.map(() => []);
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const pi = points[i] ?? [];
      const pj = points[j] ?? [];
      if (dominates(pi, pj, objectives)) {
        dominating[i]?.push(j);
        dominatedBy[j] = (dominatedBy[j] ?? 0) + 1;
      } else if (dominates(pj, pi, objectives)) {
        dominating[j]?.push(i);
        dominatedBy[i] = (dominatedBy[i] ?? 0) + 1;
      }
    }
  }
  const fronts: number[][] = [];
  let current = points.map((_, i) => i).filter((i) => dominatedBy[i] === 0);
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominating[i] ?? []) {
        dominatedBy[j] = (dominatedBy[j] ?? 0) - 1;
        if (dominatedBy[j] === 0) next.push(j);
      }
    }
    current = next.sort((a, b) => a - b);
  }
  return fronts;
}

/**
 * NSGA-II crowding distance of each point of one front (aligned with `front`): the summed,
 * range-normalised gap between each point's neighbours along every objective. The extremes get
 * Infinity so that a front's ends are always kept. An objective whose values are all equal, or
 * that has a null among them, adds nothing (its range is zero or unbounded).
 */
export function crowdingDistances(
  points: readonly ObjectiveValues[],
  front: readonly number[],
  objectives: readonly Directed[],
): number[] {
  const distance = front.map(() => 0);
  if (front.length <= 2) return distance.map(() => Number.POSITIVE_INFINITY);
  for (let m = 0; m < objectives.length; m++) {
    const value = (k: number): number => oriented(points[front[k] ?? -1] ?? [], m, objectives);
    const order = front.map((_, k) => k).sort((a, b) => value(a) - value(b) || a - b);
    const lowest = value(order[0] ?? 0);
    const highest = value(order[order.length - 1] ?? 0);
    const range = highest - lowest;
    distance[order[0] ?? 0] = Number.POSITIVE_INFINITY;
    distance[order[order.length - 1] ?? 0] = Number.POSITIVE_INFINITY;
    if (!(range > 0 && Number.isFinite(range))) continue;
    for (let r = 1; r < order.length - 1; r++) {
      const k = order[r] ?? 0;
      const gap = value(order[r + 1] ?? 0) - value(order[r - 1] ?? 0);
      distance[k] = (distance[k] ?? 0) + gap / range;
    }
  }
  return distance;
}

/**
 * Every point ranked NSGA-II style, best first: by front, then by crowding distance (more
 * isolated first, to keep the front spread out), then by index so that ties are deterministic.
 */
export function paretoRanking(
  points: readonly ObjectiveValues[],
  objectives: readonly Directed[],
): ParetoRank[] {
  const ranks: ParetoRank[] = [];
  nonDominatedSort(points, objectives).forEach((front, f) => {
    const crowding = crowdingDistances(points, front, objectives);
    front.forEach((index, k) => {
      ranks.push({ index, front: f, crowding: crowding[k] ?? 0 });
    });
  });
  return ranks.sort((a, b) => a.front - b.front || b.crowding - a.crowding || a.index - b.index);
}

/**
 * The non-dominated points, in their original order. Unlike nonDominatedSort this is fast enough
 * for a large grid: after a lexicographic sort any dominator of a point comes before it, so each
 * point is checked only against the front found so far.
 */
export function paretoFront<T>(
  points: readonly T[],
  objectives: readonly Directed[],
  valuesOf: (point: T) => ObjectiveValues,
): T[] {
  const values = points.map(valuesOf);
  const order = points.map((_, i) => i);
  const lexicographic = (a: number, b: number): number => {
    for (let m = 0; m < objectives.length; m++) {
      const diff =
        oriented(values[b] ?? [], m, objectives) - oriented(values[a] ?? [], m, objectives);
      if (diff !== 0 && !Number.isNaN(diff)) return diff;
    }
    return a - b;
  };
  order.sort(lexicographic);
  const front: number[] = [];
  for (const i of order) {
    const candidate = values[i] ?? [];
    if (!front.some((j) => dominates(values[j] ?? [], candidate, objectives))) front.push(i);
  }
  return front.sort((a, b) => a - b).map((i) => points[i] as T);
}

/** A value turned "higher is better", with null (and NaN/±Infinity) as −Infinity: always worst. */
function oriented(values: ObjectiveValues, m: number, objectives: readonly Directed[]): number {
  const score = orientedScore(objectives[m]?.direction ?? 'maximize', values[m] ?? null);
  return score ?? Number.NEGATIVE_INFINITY;
}
