/** The RateLimiter port: a token bucket per key, and the checks both backends apply to its arguments. */
import { checkPositive } from './checks.js';

/**
 * A bucket holds up to `capacity` tokens and gains `refillPerSecond` tokens a second; each
 * request takes `cost` tokens. `name` separates limiters: buckets are per (name, key).
 */
export interface RateLimitPolicy {
  name: string;
  capacity: number;
  refillPerSecond: number;
}

/** The answer to one take. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Whole tokens left in the bucket after this take. */
  remaining: number;
  /** 0 when allowed; otherwise milliseconds until the bucket holds `cost` tokens. */
  retryAfterMs: number;
}

/**
 * Token-bucket rate limiting (for example: chat messages per user, broker calls per account).
 * A key never seen, or idle long enough, starts with a full bucket.
 */
export interface RateLimiter {
  readonly policy: RateLimitPolicy;
  /**
   * Takes `cost` tokens (default 1) from `key`'s bucket if it has them; otherwise takes nothing
   * and says how long to wait. Throws RangeError for a cost outside (0, capacity].
   */
  take(key: string, cost?: number): Promise<RateLimitDecision>;
}

/** Tolerance for float error in refill arithmetic, far below one token. */
export const TOKEN_EPSILON = 1e-9;

/** Throws RangeError unless the policy has a name and a positive capacity and refill rate. */
export function checkPolicy(policy: RateLimitPolicy): void {
  if (typeof policy.name !== 'string' || policy.name.trim() === '') {
    throw new RangeError(
      `rate limiter name must be a non-empty string; got ${JSON.stringify(policy.name)}`,
    );
  }
  checkPositive(`capacity of rate limiter "${policy.name}"`, policy.capacity);
  checkPositive(`refillPerSecond of rate limiter "${policy.name}"`, policy.refillPerSecond);
}

/** Throws RangeError unless 0 < cost <= capacity: a larger cost could never be allowed. */
export function checkCost(policy: RateLimitPolicy, cost: number): void {
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost <= 0 || cost > policy.capacity) {
    throw new RangeError(
      `cost must be a number greater than 0 and at most the capacity ${policy.capacity} of rate limiter "${policy.name}"; got ${String(cost)}`,
    );
  }
}
