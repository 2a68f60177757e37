/** The in-process RateLimiter: token buckets in a Map, with an injectable clock for tests. */
import {
  checkCost,
  checkPolicy,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitPolicy,
  TOKEN_EPSILON,
} from './rate-limiter.js';

interface Bucket {
  tokens: number;
  /** Clock time of `tokens`. */
  at: number;
  /** Clock time at which the bucket is full again and can be forgotten. */
  fullAt: number;
}

/** Buckets held before the first sweep of full ones. */
const FIRST_SWEEP_AT = 1024;

/**
 * Token buckets for one process. A full bucket is the same as no bucket, so full ones are
 * dropped in sweeps that run each time the Map doubles in size: memory stays proportional to
 * the keys active within one refill period, at amortized O(1) per take.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly policy: RateLimitPolicy;
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private sweepAt = FIRST_SWEEP_AT;

  /** `now` returns milliseconds (default Date.now); tests pass a fake clock. */
  constructor(policy: RateLimitPolicy, options: { now?: () => number } = {}) {
    checkPolicy(policy);
    this.policy = { ...policy };
    this.now = options.now ?? Date.now;
  }

  /** Buckets held in memory (ones not known to be full). */
  get size(): number {
    return this.buckets.size;
  }

  async take(key: string, cost = 1): Promise<RateLimitDecision> {
    checkCost(this.policy, cost);
    const { capacity, refillPerSecond } = this.policy;
    const now = this.now();
    const bucket = this.buckets.get(key);
    let tokens = capacity;
    if (bucket) {
      // A clock that steps back (NTP) refills nothing rather than draining the bucket.
      const elapsed = Math.max(0, now - bucket.at);
      tokens = Math.min(capacity, bucket.tokens + (elapsed * refillPerSecond) / 1000);
    }
    let decision: RateLimitDecision;
    if (tokens + TOKEN_EPSILON >= cost) {
      tokens = Math.max(0, tokens - cost);
      decision = { allowed: true, remaining: Math.floor(tokens + TOKEN_EPSILON), retryAfterMs: 0 };
    } else {
      decision = {
        allowed: false,
        remaining: Math.floor(tokens + TOKEN_EPSILON),
        retryAfterMs: Math.ceil(((cost - tokens) * 1000) / refillPerSecond),
      };
    }
    const fullAt = now + ((capacity - tokens) * 1000) / refillPerSecond;
    if (fullAt > now) this.buckets.set(key, { tokens, at: now, fullAt });
    else this.buckets.delete(key);
    if (this.buckets.size >= this.sweepAt) this.sweep(now);
    return decision;
  }

  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.fullAt <= now) this.buckets.delete(key);
    }
    this.sweepAt = Math.max(FIRST_SWEEP_AT, this.buckets.size * 2);
  }
}
