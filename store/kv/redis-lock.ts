/** The Redis LockStore: SET NX PX to take a lock, compare-and-delete and compare-and-pexpire scripts to let go or keep it. */
import type { Redis } from 'ioredis';
import type { LockStore } from './lock.js';
import { defineScript, type RedisScript } from './redis-script.js';

// GET and DEL in one script: done as two commands, the lock could expire and pass to another
// holder between them, and this holder would then delete the other's lock.
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

const EXTEND_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** Locks as Redis keys `<prefix>lock:<key>` holding the holder's token, expired by Redis. */
export class RedisLockStore implements LockStore {
  private readonly releaseScript: RedisScript;
  private readonly extendScript: RedisScript;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {
    this.releaseScript = defineScript(client, 'csLockRelease', RELEASE_LUA, 1);
    this.extendScript = defineScript(client, 'csLockExtend', EXTEND_LUA, 1);
  }

  private redisKey(key: string): string {
    return `${this.prefix}lock:${key}`;
  }

  async tryAcquire(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(this.redisKey(key), token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async release(key: string, token: string): Promise<boolean> {
    return Number(await this.releaseScript([this.redisKey(key)], [token])) === 1;
  }

  async extend(key: string, token: string, ttlMs: number): Promise<boolean> {
    return Number(await this.extendScript([this.redisKey(key)], [token, ttlMs])) === 1;
  }
}
