/** The sampler interface shared by grid, random and TPE search: ask for points, tell their scores. */
import type { Params } from '../param-space.js';

/** The outcome of evaluating one parameter set. */
export interface TrialResult {
  params: Params;
  /**
   * One score per objective, already oriented so that higher is better (a minimised objective is
   * negated). Null when the objective is undefined for the run or the evaluation failed: always
   * ranked worst.
   */
  scores: readonly (number | null)[];
}

/**
 * Proposes parameter sets to evaluate. Ask/tell rather than a callback so that the caller decides
 * how many to evaluate at once (a batch for a worker pool) and when to stop. A sampler never
 * proposes the same parameter set twice.
 */
export interface Sampler {
  /** Up to `n` new parameter sets; fewer (even none) once the space is exhausted. */
  ask(n: number): Params[];
  /** Reports results of asked parameter sets, in any order and any batch size. */
  tell(results: readonly TrialResult[]): void;
  /** True once the sampler has nothing new to propose. */
  done(): boolean;
}
