/** The HTTP rate-limit policies and the Retry-After values computed from limiter decisions and policies. */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { createKv } from '../store/kv/kv.js';
import { TOOL_CALL_LIMIT } from '../tools/invoke.js';
import {
  AUTH_FAILURE_LIMIT,
  DECISION_LIMIT,
  policyRetryAfterSeconds,
  retryAfterSeconds,
} from './http-limits.js';

describe('Retry-After values', () => {
  it.each([
    [0, 1],
    [1, 1],
    [1000, 1],
    [1001, 2],
    [29_500, 30],
  ])('a decision with retryAfterMs %d gives %d s', (retryAfterMs, seconds) => {
    expect(retryAfterSeconds({ retryAfterMs })).toBe(seconds);
  });

  it('a policy gives the refill time of one token, at least 1 s', () => {
    expect(policyRetryAfterSeconds(AUTH_FAILURE_LIMIT)).toBe(3);
    expect(policyRetryAfterSeconds(DECISION_LIMIT)).toBe(2);
    expect(policyRetryAfterSeconds(TOOL_CALL_LIMIT)).toBe(1);
    expect(policyRetryAfterSeconds({ refillPerSecond: 0.25 })).toBe(4);
  });

  it('the policies are valid limiters that refuse once their burst is spent', async () => {
    const kv = await createKv({ logger: silentLogger() });
    try {
      const auth = kv.rateLimiter(AUTH_FAILURE_LIMIT);
      for (let k = 0; k < 20; k++) expect((await auth.take('192.0.2.1')).allowed).toBe(true);
      const refused = await auth.take('192.0.2.1');
      expect(refused.allowed).toBe(false);
      expect(retryAfterSeconds(refused)).toBe(3);
      const decisions = kv.rateLimiter(DECISION_LIMIT);
      expect(decisions.policy).toMatchObject({ capacity: 30, refillPerSecond: 0.5 });
    } finally {
      await kv.close();
    }
  });
});
