/** Rate limits of the HTTP edge: the policies, the limiters start-up makes from them, and Retry-After values. */
import type { Logger } from '../config/logger.js';
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from '../store/kv/rate-limiter.js';

/**
 * Failed authentications (missing, malformed or unknown token) per client address: a burst of
 * 20 (a person mistyping, a script with a stale token retrying a few times), then one every 3 s.
 * A real token is 256 random bits, so this is not what keeps guessing hopeless; it keeps a
 * guesser from turning the token check (a database lookup for unknown ids) into load.
 */
export const AUTH_FAILURE_LIMIT: RateLimitPolicy = {
  name: 'auth-failures',
  capacity: 20,
  refillPerSecond: 1 / 3,
};

/**
 * Approve and reject calls per principal: a burst of 30 (a person clearing a queue of
 * proposals), then one every 2 s. Every decision re-checks prices and risk, so an unbounded
 * stream of them is load on the broker feed and the database.
 */
export const DECISION_LIMIT: RateLimitPolicy = {
  name: 'proposal-decisions',
  capacity: 30,
  refillPerSecond: 0.5,
};

/** The limiters of the HTTP routes, made by start-up from the policies above (`kv.rateLimiter`). */
export interface HttpLimiters {
  /** Failed authentications per client address (AUTH_FAILURE_LIMIT); bearerAuth takes from it. */
  auth?: RateLimiter;
  /** Approve/reject calls per principal (DECISION_LIMIT); the proposal routes take from it. */
  decisions?: RateLimiter;
}

/** What bearerAuth needs to limit failed authentications: the limiter and where to log refusals. */
export interface AuthGuard {
  limiter: RateLimiter;
  logger?: Logger;
}

// createApp puts the app's AuthGuard on every request's context, so that every bearerAuth under
// it (including routes that do not pass one) limits failures against the same buckets.
declare module 'hono' {
  interface ContextVariableMap {
    authGuard: AuthGuard | undefined;
  }
}

/** The Retry-After value of a refused take: whole seconds, at least 1. */
export function retryAfterSeconds(decision: Pick<RateLimitDecision, 'retryAfterMs'>): number {
  return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
}

/**
 * The Retry-After value after a refusal by a limiter under `policy` when the decision itself is
 * not at hand: the time one token takes to come back, which is the longest a caller refused for
 * a single token waits. Whole seconds, at least 1.
 */
export function policyRetryAfterSeconds(policy: Pick<RateLimitPolicy, 'refillPerSecond'>): number {
  // The epsilon keeps float error (1 / (1 / 3)) from rounding a whole number up.
  return Math.max(1, Math.ceil(1 / policy.refillPerSecond - 1e-9));
}
