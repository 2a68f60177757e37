/** Runs the kv contract on the in-process backend always and on Redis when the run has REDIS_URL, plus what only Redis has. */
import net from 'node:net';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import {
  connectTestRedis,
  deleteRedisKeys,
  startRedisProxy,
  testRedisPrefix,
  testRedisUrl,
} from '../../test/helpers/redis.js';
import { createKv, type Kv } from './kv.js';
import { describeKvContract } from './kv-contract.js';

const WAIT = { timeout: 5_000, interval: 10 };

describeKvContract('memory', ({ logger }) => createKv({ logger }));

const redisUrl = testRedisUrl();

describe.skipIf(!redisUrl)(redisUrl ? 'redis' : 'redis (skipped: REDIS_URL not set)', () => {
  const url = redisUrl ?? '';
  const prefix = testRedisPrefix();
  let admin: Redis;
  beforeAll(async () => {
    admin = await connectTestRedis(url);
  });
  afterAll(async () => {
    await admin?.quit();
    await deleteRedisKeys(url, prefix);
  });

  describeKvContract('contract', ({ logger }) => createKv({ redisUrl: url, prefix, logger }));

  describe('Redis specifics', () => {
    const records: { level: number; msg: string; channel?: string }[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => records.push(JSON.parse(line)) },
    );
    let one: Kv;
    let two: Kv;
    beforeAll(async () => {
      one = await createKv({ redisUrl: url, prefix, logger });
      two = await createKv({ redisUrl: url, prefix, logger });
    });
    afterAll(async () => {
      await one?.close();
      await two?.close();
    });

    it('shares the cache, bus, locks and rate limits between connections on one prefix', async () => {
      await one.cache.set('shared', { from: 'one' }, 60_000);
      expect(await two.cache.get('shared')).toEqual({ from: 'one' });

      const got: unknown[] = [];
      const stop = await two.bus.subscribe('bars.imported', (payload) => void got.push(payload));
      const event = { symbols: ['SPY'], rows: 1, at: '2026-01-02T21:00:00.000Z' };
      await one.bus.publish('bars.imported', event);
      await vi.waitFor(() => expect(got).toEqual([event]), WAIT);
      await stop();

      const lease = await one.lock.acquire('shared', { ttlMs: 10_000 });
      expect(lease).toBeDefined();
      expect(await two.lock.acquire('shared', { ttlMs: 10_000 })).toBeUndefined();
      await lease?.release();

      const policy = { name: 'shared', capacity: 1, refillPerSecond: 0.01 };
      expect((await one.rateLimiter(policy).take('u')).allowed).toBe(true);
      expect((await two.rateLimiter(policy).take('u')).allowed).toBe(false);
    });

    it('keeps every key under the prefix, with an expiry', async () => {
      await one.cache.set('ttl', 1, 60_000);
      const ttl = await admin.pttl(`${prefix}cache:ttl`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('sends one SUBSCRIBE per topic however many local handlers, and UNSUBSCRIBE after the last', async () => {
      const channel = `${prefix}bus:bars.imported`;
      const stops = await Promise.all(
        [1, 2, 3].map(() => one.bus.subscribe('bars.imported', () => {})),
      );
      expect(await admin.pubsub('NUMSUB', channel)).toEqual([channel, 1]);
      await stops[0]?.();
      expect(await admin.pubsub('NUMSUB', channel)).toEqual([channel, 1]);
      await Promise.all(stops.map((stop) => stop()));
      expect(await admin.pubsub('NUMSUB', channel)).toEqual([channel, 0]);
    });

    it('logs and drops a message that is not JSON, and keeps delivering', async () => {
      const channel = `${prefix}bus:bars.imported`;
      const got: unknown[] = [];
      const stop = await one.bus.subscribe('bars.imported', (payload) => void got.push(payload));
      await admin.publish(channel, 'not json {');
      const event = { symbols: [], rows: 0, at: '2026-01-02T21:00:00.000Z' };
      await one.bus.publish('bars.imported', event);
      await vi.waitFor(() => expect(got).toEqual([event]), WAIT);
      expect(records.some((r) => r.channel === channel && /not JSON/.test(r.msg))).toBe(true);
      await stop();
    });

    it('fails calls fast while Redis hangs or is gone, and recovers when it is back', async () => {
      const proxy = await startRedisProxy(url);
      const kv = await createKv({ redisUrl: proxy.url, prefix, logger });
      try {
        const got: unknown[] = [];
        await kv.bus.subscribe('bars.imported', (payload) => void got.push(payload));
        await kv.cache.set('outage', 'before', 60_000);

        proxy.pause();
        let started = Date.now();
        await expect(kv.cache.get('outage')).rejects.toThrow(/timed out/);
        expect(Date.now() - started).toBeLessThan(4_000);
        await expect(kv.ping()).rejects.toThrow(/did not answer PING/);
        proxy.resume();

        await proxy.cut();
        await vi.waitFor(
          () => expect(records.some((r) => /connection lost/.test(r.msg))).toBe(true),
          WAIT,
        );
        started = Date.now();
        await expect(kv.cache.get('outage')).rejects.toThrow(/enableOfflineQueue/);
        expect(Date.now() - started).toBeLessThan(500);

        await proxy.restore();
        await vi.waitFor(async () => expect(await kv.cache.get('outage')).toBe('before'), WAIT);
        const event = { symbols: [], rows: 2, at: '2026-01-02T21:00:00.000Z' };
        // The subscriber connection comes back on its own schedule; publish until it has.
        await vi.waitFor(async () => {
          await kv.bus.publish('bars.imported', event);
          expect(got).toContainEqual(event);
        }, WAIT);
      } finally {
        await kv.close();
        await proxy.close();
      }
    });

    it('lets an idle bucket vanish once it would be full again', async () => {
      const limiter = one.rateLimiter({ name: 'idle', capacity: 1, refillPerSecond: 20 });
      await limiter.take('k');
      const key = `${prefix}rl:idle:k`;
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(50);
      await vi.waitFor(async () => expect(await admin.exists(key)).toBe(0), WAIT);
    });
  });
});

describe('createKv', () => {
  it('builds the in-process backend when there is no redisUrl', async () => {
    const kv = await createKv({ logger: silentLogger() });
    expect(kv.backend).toBe('memory');
    await kv.close();
  });

  it('fails fast naming host:port and never the password when Redis refuses connections', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const started = Date.now();
    const failure = createKv({
      redisUrl: `redis://alice:s3cret-pass@127.0.0.1:${port}/2`,
      logger: silentLogger(),
    });
    await expect(failure).rejects.toThrow(`Could not connect to Redis at 127.0.0.1:${port}/2`);
    await expect(failure).rejects.toThrow(/ECONNREFUSED.*Check that Redis is running/);
    await expect(failure).rejects.not.toThrow(/s3cret/);
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('gives up within about 5 s on a server that accepts but never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const started = Date.now();
    try {
      await expect(
        createKv({ redisUrl: `redis://127.0.0.1:${port}`, logger: silentLogger() }),
      ).rejects.toThrow(`Could not connect to Redis at 127.0.0.1:${port}/0`);
      expect(Date.now() - started).toBeLessThan(7_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
