/** The Redis Cache: one string key per entry, written with SET PX so that Redis expires it. */
import type { Redis } from 'ioredis';
import type { Cache } from './cache.js';
import { checkMs, toJson } from './checks.js';

/** Cache shared by every process that uses the same Redis and prefix. Keys are `<prefix>cache:<key>`. */
export class RedisCache implements Cache {
  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {}

  private redisKey(key: string): string {
    return `${this.prefix}cache:${key}`;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.client.get(this.redisKey(key));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      // Only something other than this class writes non-JSON here: say where to look.
      throw new Error(
        `cache entry ${this.redisKey(key)} in Redis is not JSON; another program wrote to this prefix`,
      );
    }
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    checkMs('ttlMs', ttlMs);
    const json = toJson(value, `cache value for "${key}"`);
    await this.client.set(this.redisKey(key), json, 'PX', ttlMs);
  }

  async delete(key: string): Promise<void> {
    await this.client.del(this.redisKey(key));
  }
}
