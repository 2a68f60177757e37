/** The Redis RateLimiter: one Lua script per take, on Redis's clock, so every process shares each bucket. */
import type { Redis } from 'ioredis';
import {
  checkCost,
  checkPolicy,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitPolicy,
  TOKEN_EPSILON,
} from './rate-limiter.js';
import { defineScript, type RedisScript } from './redis-script.js';

/**
 * KEYS[1]: the bucket hash {tokens, at}. ARGV: capacity, refill per second, cost, epsilon.
 * TIME gives one clock for every process (theirs may disagree). Script effects replication
 * (the default since Redis 5) makes TIME safe before writes. A full bucket is deleted and an
 * idle one expires when it would be full again, so no key outlives its usefulness.
 * Returns {allowed 0|1, whole tokens remaining, retry-after ms}: Redis truncates Lua numbers
 * in replies to integers, so the script rounds on purpose.
 */
const TAKE_LUA = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local epsilon = tonumber(ARGV[4])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
local stored, at = tonumber(state[1]), tonumber(state[2])
if stored and at then
  local elapsed = math.max(0, now - at)
  tokens = math.min(capacity, stored + elapsed * rate / 1000)
end
local allowed, retry = 0, 0
if tokens + epsilon >= cost then
  tokens = math.max(0, tokens - cost)
  allowed = 1
else
  retry = math.ceil((cost - tokens) * 1000 / rate)
end
local toFull = math.ceil((capacity - tokens) * 1000 / rate)
if toFull <= 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', now))
  redis.call('PEXPIRE', KEYS[1], toFull)
end
return {allowed, math.floor(tokens + epsilon), retry}
`;

/** Rate limiter whose buckets live in Redis under `<prefix>rl:<name>:<key>`. */
export class RedisRateLimiter implements RateLimiter {
  readonly policy: RateLimitPolicy;
  private readonly script: RedisScript;

  constructor(
    client: Redis,
    private readonly prefix: string,
    policy: RateLimitPolicy,
  ) {
    checkPolicy(policy);
    this.policy = { ...policy };
    this.script = defineScript(client, 'csRateLimitTake', TAKE_LUA, 1);
  }

  async take(key: string, cost = 1): Promise<RateLimitDecision> {
    checkCost(this.policy, cost);
    const reply = await this.script(
      [`${this.prefix}rl:${this.policy.name}:${key}`],
      [this.policy.capacity, this.policy.refillPerSecond, cost, TOKEN_EPSILON],
    );
    if (!Array.isArray(reply) || reply.length !== 3) {
      throw new Error(`unexpected reply from the rate-limit script: ${JSON.stringify(reply)}`);
    }
    const [allowed, remaining, retryAfterMs] = reply.map(Number);
    return { allowed: allowed === 1, remaining: remaining ?? 0, retryAfterMs: retryAfterMs ?? 0 };
  }
}
