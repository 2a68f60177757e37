/** Building strategy parameter schemas whose errors name the bad value and the valid range. */
import { z } from 'zod';
import type { Strategy, StrategyParams } from './strategy.js';

/** A parameter set a strategy refuses; the message says which value and what is valid. */
export class StrategyParamsError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'StrategyParamsError';
  }
}

interface NumberParam {
  min: number;
  max: number;
  default: number;
}

function describeInput(input: unknown): string {
  return input === undefined ? 'nothing' : JSON.stringify(input);
}

/** A whole-number parameter in [min, max] with a default. */
export function intParam(name: string, spec: NumberParam) {
  const message = (issue: { input?: unknown }) =>
    `${name} must be a whole number from ${spec.min} to ${spec.max}, got ${describeInput(issue.input)}`;
  return z
    .number({ error: message })
    .int({ error: message })
    .min(spec.min, { error: message })
    .max(spec.max, { error: message })
    .default(spec.default);
}

/** A real-valued parameter in [min, max] with a default. */
export function floatParam(name: string, spec: NumberParam) {
  const message = (issue: { input?: unknown }) =>
    `${name} must be a number from ${spec.min} to ${spec.max}, got ${describeInput(issue.input)}`;
  return z
    .number({ error: message })
    .min(spec.min, { error: message })
    .max(spec.max, { error: message })
    .default(spec.default);
}

/** Validates `raw` against the strategy's schema and fills defaults, or throws StrategyParamsError. */
export function parseStrategyParams(strategy: Strategy, raw: StrategyParams): StrategyParams {
  const result = strategy.schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const valid = strategy.space.map((spec) => spec.name).join(', ');
  const messages = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => `"${key}"`).join(', ');
      return `unknown parameter ${keys} for ${strategy.name}; its parameters are ${valid}`;
    }
    return issue.message;
  });
  throw new StrategyParamsError(`${strategy.name}: ${messages.join('; ')}`);
}

/** The refinement shared by the crossover strategies: the fast average must be shorter. */
export function fastBelowSlow(params: { fast: number; slow: number }): boolean {
  return params.fast < params.slow;
}

/** The message for a fast/slow pair that breaks fastBelowSlow. */
export function fastBelowSlowMessage(issue: { input?: unknown }): string {
  const input = issue.input as { fast?: number; slow?: number } | undefined;
  return `fast (${input?.fast}) must be less than slow (${input?.slow})`;
}
