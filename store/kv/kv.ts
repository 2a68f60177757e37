/** The kv layer's entry point: cache, bus, locks and rate limits on Redis when REDIS_URL is set, in-process otherwise. */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../config/logger.js';
import type { Bus } from './bus.js';
import type { Cache } from './cache.js';
import { LeaseManager, type LockManager } from './lock.js';
import { MemoryBus } from './memory-bus.js';
import { MemoryCache } from './memory-cache.js';
import { MemoryLockStore } from './memory-lock.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import type { RateLimiter, RateLimitPolicy } from './rate-limiter.js';
import { RedisBus } from './redis-bus.js';
import { RedisCache } from './redis-cache.js';
import { closeRedis, connectRedis } from './redis-connection.js';
import { RedisLockStore } from './redis-lock.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';

/** The shared-state services of one process. Both backends pass the same contract suite (kv-contract.ts). */
export interface Kv {
  backend: 'redis' | 'memory';
  cache: Cache;
  bus: Bus;
  lock: LockManager;
  /**
   * The limiter for `policy`. The name identifies its buckets (shared by every process with
   * Redis); asking again for a name with a different capacity or rate throws.
   */
  rateLimiter(policy: RateLimitPolicy): RateLimiter;
  /** Round-trip milliseconds of the cache and bus connections; throws when either is unreachable. */
  ping(): Promise<{ cache: number; bus: number }>;
  /** Closes connections and drops subscriptions. Calling it again does nothing. */
  close(): Promise<void>;
}

/** Where to keep shared state: `redisUrl` (config.redisUrl) or, without one, this process. */
export interface KvOptions {
  redisUrl?: string;
  /** Namespace for every Redis key and channel, so several deployments can share one Redis. Default 'cs:'. */
  prefix?: string;
  logger: Logger;
}

/** Default namespace of Redis keys and channels. */
export const DEFAULT_KV_PREFIX = 'cs:';

/**
 * Returns the one limiter per name, refusing a second policy under a name already in use: two
 * different policies over the same buckets would make each other's decisions wrong.
 */
function limiterRegistry(create: (policy: RateLimitPolicy) => RateLimiter) {
  const limiters = new Map<string, RateLimiter>();
  return (policy: RateLimitPolicy): RateLimiter => {
    const existing = limiters.get(policy.name);
    if (!existing) {
      const limiter = create(policy);
      limiters.set(policy.name, limiter);
      return limiter;
    }
    const { capacity, refillPerSecond } = existing.policy;
    if (capacity !== policy.capacity || refillPerSecond !== policy.refillPerSecond) {
      throw new Error(
        `rate limiter "${policy.name}" already exists with capacity ${capacity} and refillPerSecond ${refillPerSecond}; give the new policy its own name`,
      );
    }
    return existing;
  };
}

/** Connects to Redis when `redisUrl` is given (throwing within about 5 s if it cannot), else builds the in-process stand-ins. */
export async function createKv(options: KvOptions): Promise<Kv> {
  const logger = options.logger.child({ component: 'kv' });
  if (!options.redisUrl) return createMemoryKv(logger);

  const prefix = options.prefix ?? DEFAULT_KV_PREFIX;
  const { main, subscriber, target } = await connectRedis(options.redisUrl, logger);
  const timed = async (what: 'cache' | 'bus', ping: () => Promise<unknown>) => {
    const started = performance.now();
    try {
      await ping();
    } catch (error) {
      throw new Error(
        `Redis at ${target} did not answer PING on the ${what} connection: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return performance.now() - started;
  };
  let closing: Promise<void> | undefined;
  logger.info({ redis: target, prefix }, 'kv on Redis');
  return {
    backend: 'redis',
    cache: new RedisCache(main, prefix),
    bus: new RedisBus(main, subscriber, prefix, logger),
    lock: new LeaseManager(new RedisLockStore(main, prefix), logger),
    rateLimiter: limiterRegistry((policy) => new RedisRateLimiter(main, prefix, policy)),
    async ping() {
      const [cache, bus] = await Promise.all([
        timed('cache', () => main.ping()),
        timed('bus', () => subscriber.ping()),
      ]);
      return { cache, bus };
    },
    close() {
      closing ??= Promise.all([closeRedis(main), closeRedis(subscriber)]).then(() => undefined);
      return closing;
    },
  };
}

function createMemoryKv(logger: Logger): Kv {
  const bus = new MemoryBus(logger);
  let closed = false;
  logger.info(
    'kv in process (no REDIS_URL): cache, bus, locks and rate limits are not shared with other processes',
  );
  return {
    backend: 'memory',
    cache: new MemoryCache(),
    bus,
    lock: new LeaseManager(new MemoryLockStore(), logger),
    rateLimiter: limiterRegistry((policy) => new MemoryRateLimiter(policy)),
    async ping() {
      if (closed) throw new Error('the in-process kv is closed');
      return { cache: 0, bus: 0 };
    },
    async close() {
      closed = true;
      bus.clear();
    },
  };
}
