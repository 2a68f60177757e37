/** The contract every Kv backend passes: kv.test.ts runs it against memory always and Redis when the run has REDIS_URL. */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../config/logger.js';
import type { Bus } from './bus.js';
import type { Kv } from './kv.js';
import { LockBusyError } from './lock.js';

/** Builds the Kv under test; the suite passes a logger it reads back to check what was logged. */
export type MakeKv = (options: { logger: Logger }) => Promise<Kv>;

/** Test-only topics, reached through a cast so that they never join the application's BusEvents. */
type TestEvents = Record<string, { n: number }>;

interface LogRecord {
  level: number;
  msg: string;
  topic?: string;
  err?: { message: string };
}

const ERROR_LEVEL = 50;
// Timing: real clocks on a possibly loaded machine, so waits are several times the TTLs they
// outlast and no test depends on something happening *before* a deadline shorter than ~2 s.
const WAIT = { timeout: 5_000, interval: 10 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const unique = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

function capturingLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => records.push(JSON.parse(line)) },
  );
  return { logger, records };
}

/** Registers the Kv contract suite under `name`, with one Kv from `makeKv` shared by its tests. */
export function describeKvContract(name: string, makeKv: MakeKv): void {
  describe(name, () => {
    const log = capturingLogger();
    let kv: Kv;
    beforeAll(async () => {
      kv = await makeKv({ logger: log.logger });
    });
    afterAll(async () => {
      await kv?.close();
    });

    describe('cache', () => {
      it('sets, gets, overwrites and deletes', async () => {
        const key = unique('cache');
        expect(await kv.cache.get(key)).toBeUndefined();
        await kv.cache.set(key, { a: 1 }, 60_000);
        expect(await kv.cache.get(key)).toEqual({ a: 1 });
        await kv.cache.set(key, { a: 2 }, 60_000);
        expect(await kv.cache.get(key)).toEqual({ a: 2 });
        await kv.cache.delete(key);
        expect(await kv.cache.get(key)).toBeUndefined();
        await expect(kv.cache.delete(key)).resolves.toBeUndefined();
      });

      it('round-trips JSON: nested values, unicode, null; a Date comes back as its ISO string', async () => {
        const key = unique('json');
        const value = {
          text: 'héllo ✓ 株',
          n: -1.5,
          max: Number.MAX_SAFE_INTEGER,
          list: [1, null, { ok: true }],
          nil: null,
          when: new Date(0),
        };
        await kv.cache.set(key, value, 60_000);
        expect(await kv.cache.get(key)).toEqual({ ...value, when: '1970-01-01T00:00:00.000Z' });
        for (const scalar of [null, 0, '', 'text', false, [1, 2]]) {
          await kv.cache.set(key, scalar, 60_000);
          expect(await kv.cache.get(key)).toEqual(scalar);
        }
      });

      it('expires an entry after its ttl, and not one with a long ttl', async () => {
        const short = unique('short');
        const long = unique('long');
        await kv.cache.set(short, 'soon gone', 80);
        await kv.cache.set(long, 'stays', 60_000);
        await vi.waitFor(async () => expect(await kv.cache.get(short)).toBeUndefined(), WAIT);
        expect(await kv.cache.get(long)).toBe('stays');
      });

      it('refuses a ttl that is not a positive whole number of milliseconds, naming it and the range', async () => {
        for (const ttl of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(kv.cache.set(unique('bad'), 1, ttl)).rejects.toThrow(
            new RangeError(
              `ttlMs must be a whole number of milliseconds from 1 to ${Number.MAX_SAFE_INTEGER}; got ${ttl}`,
            ),
          );
        }
      });

      it('refuses values with no JSON form', async () => {
        await expect(kv.cache.set(unique('bad'), undefined, 1_000)).rejects.toThrow(TypeError);
        await expect(kv.cache.set(unique('bad'), { n: 1n }, 1_000)).rejects.toThrow(
          /not JSON-serializable/,
        );
      });
    });

    describe('bus', () => {
      const bus = () => kv.bus as unknown as Bus<TestEvents>;

      it('delivers a typed event to every subscriber', async () => {
        const received: unknown[][] = [[], [], []];
        const stops = await Promise.all(
          received.map((into) =>
            kv.bus.subscribe('bars.imported', (payload) => void into.push(payload)),
          ),
        );
        const payload = { symbols: ['AAPL', 'MSFT'], rows: 42, at: '2026-01-02T21:00:00.000Z' };
        await kv.bus.publish('bars.imported', payload);
        await vi.waitFor(() => expect(received).toEqual([[payload], [payload], [payload]]), WAIT);
        await Promise.all(stops.map((stop) => stop()));
      });

      it('stops delivering to a subscriber that unsubscribed', async () => {
        const topic = unique('topic');
        const a: number[] = [];
        const b: number[] = [];
        const stopA = await bus().subscribe(topic, ({ n }) => void a.push(n));
        const stopB = await bus().subscribe(topic, ({ n }) => void b.push(n));
        await stopA();
        await stopA();
        await bus().publish(topic, { n: 1 });
        await vi.waitFor(() => expect(b).toEqual([1]), WAIT);
        await stopB();
        await bus().publish(topic, { n: 2 });
        // Both handlers would have seen an event at the same moment; give stragglers a margin.
        await sleep(200);
        expect(a).toEqual([]);
        expect(b).toEqual([1]);
      });

      it('keeps topics apart', async () => {
        const [alpha, beta] = [unique('alpha'), unique('beta')];
        const got: Record<string, number[]> = { [alpha]: [], [beta]: [] };
        const stops = await Promise.all(
          [alpha, beta].map((topic) => bus().subscribe(topic, ({ n }) => void got[topic]?.push(n))),
        );
        await bus().publish(alpha, { n: 1 });
        await bus().publish(beta, { n: 2 });
        await vi.waitFor(() => expect(got).toEqual({ [alpha]: [1], [beta]: [2] }), WAIT);
        await Promise.all(stops.map((stop) => stop()));
      });

      it('keeps handler errors and slow handlers away from the publisher and other handlers, and logs the errors', async () => {
        const topic = unique('errors');
        const good: number[] = [];
        let release = () => {};
        const stuck = new Promise<void>((resolve) => {
          release = resolve;
        });
        const stops = [
          await bus().subscribe(topic, () => {
            throw new Error('boom sync');
          }),
          await bus().subscribe(topic, async () => {
            throw new Error('boom async');
          }),
          await bus().subscribe(topic, () => stuck),
          await bus().subscribe(topic, ({ n }) => void good.push(n)),
        ];
        await expect(bus().publish(topic, { n: 1 })).resolves.toBeUndefined();
        await expect(bus().publish(topic, { n: 2 })).resolves.toBeUndefined();
        await vi.waitFor(() => expect(good).toEqual([1, 2]), WAIT);
        await vi.waitFor(() => {
          const errors = log.records.filter((r) => r.level === ERROR_LEVEL && r.topic === topic);
          expect(errors.map((r) => r.err?.message).sort()).toEqual([
            'boom async',
            'boom async',
            'boom sync',
            'boom sync',
          ]);
        }, WAIT);
        release();
        await Promise.all(stops.map((stop) => stop()));
      });

      it('refuses a payload with no JSON form', async () => {
        await expect(
          bus().publish(unique('bad'), { n: 1n } as unknown as { n: number }),
        ).rejects.toThrow(/not JSON-serializable/);
      });
    });

    describe('rate limiter', () => {
      // 0.01 tokens/s: real time between takes refills nothing that shows, so counts are exact.
      const slow = (capacity: number) => ({ name: unique('rl'), capacity, refillPerSecond: 0.01 });

      it('allows capacity takes, then refuses with a retry time', async () => {
        const limiter = kv.rateLimiter(slow(3));
        const decisions = [];
        for (let i = 0; i < 4; i++) decisions.push(await limiter.take('user'));
        expect(decisions.slice(0, 3)).toEqual([
          { allowed: true, remaining: 2, retryAfterMs: 0 },
          { allowed: true, remaining: 1, retryAfterMs: 0 },
          { allowed: true, remaining: 0, retryAfterMs: 0 },
        ]);
        expect(decisions[3]).toMatchObject({ allowed: false, remaining: 0 });
        // One token at 0.01/s takes 100 s, less what has refilled since.
        expect(decisions[3]?.retryAfterMs).toBeGreaterThan(90_000);
        expect(decisions[3]?.retryAfterMs).toBeLessThanOrEqual(100_000);
      });

      it('refills over time', async () => {
        const limiter = kv.rateLimiter({ name: unique('rl'), capacity: 2, refillPerSecond: 20 });
        expect((await limiter.take('k')).allowed).toBe(true);
        expect((await limiter.take('k')).allowed).toBe(true);
        const refused = await limiter.take('k');
        expect(refused.allowed).toBe(false);
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(50);
        await sleep(refused.retryAfterMs + 200);
        expect((await limiter.take('k')).allowed).toBe(true);
      });

      it('keeps keys and limiter names apart', async () => {
        const policy = slow(1);
        const limiter = kv.rateLimiter(policy);
        expect((await limiter.take('a')).allowed).toBe(true);
        expect((await limiter.take('a')).allowed).toBe(false);
        expect((await limiter.take('b')).allowed).toBe(true);
        expect((await kv.rateLimiter(slow(1)).take('a')).allowed).toBe(true);
        expect(kv.rateLimiter({ ...policy })).toBe(limiter);
        expect(() => kv.rateLimiter({ ...policy, capacity: 2 })).toThrow(/already exists/);
      });

      it('takes a cost of more than one token', async () => {
        const limiter = kv.rateLimiter(slow(5));
        expect(await limiter.take('k', 3)).toEqual({
          allowed: true,
          remaining: 2,
          retryAfterMs: 0,
        });
        const refused = await limiter.take('k', 3);
        expect(refused).toMatchObject({ allowed: false, remaining: 2 });
        expect(refused.retryAfterMs).toBeGreaterThan(90_000);
        expect(await limiter.take('k', 2)).toEqual({
          allowed: true,
          remaining: 0,
          retryAfterMs: 0,
        });
      });

      it('refuses bad policies and costs, naming them', async () => {
        expect(() =>
          kv.rateLimiter({ name: unique('rl'), capacity: 0, refillPerSecond: 1 }),
        ).toThrow(/capacity .* must be a finite number greater than 0; got 0/);
        expect(() =>
          kv.rateLimiter({ name: unique('rl'), capacity: 1, refillPerSecond: Number.NaN }),
        ).toThrow(/refillPerSecond .* got NaN/);
        const limiter = kv.rateLimiter(slow(2));
        await expect(limiter.take('k', 0)).rejects.toThrow(RangeError);
        await expect(limiter.take('k', 3)).rejects.toThrow(/at most the capacity 2 .* got 3/);
      });
    });

    describe('lock', () => {
      it('is exclusive until released', async () => {
        const key = unique('lock');
        const first = await kv.lock.acquire(key, { ttlMs: 10_000 });
        expect(first).toMatchObject({ key, token: expect.any(String) });
        expect(await kv.lock.acquire(key, { ttlMs: 10_000 })).toBeUndefined();
        expect(await first?.release()).toBe(true);
        expect(await first?.release()).toBe(false);
        const second = await kv.lock.acquire(key, { ttlMs: 10_000 });
        expect(second?.token).not.toBe(first?.token);
        await second?.release();
      });

      it('expires after its ttl; the old holder then cannot release or extend the new holder’s lock', async () => {
        const key = unique('lock');
        const old = await kv.lock.acquire(key, { ttlMs: 100 });
        expect(old).toBeDefined();
        const current = await kv.lock.acquire(key, { ttlMs: 10_000, waitMs: 5_000 });
        expect(current).toBeDefined();
        expect(await old?.release()).toBe(false);
        expect(await old?.extend(10_000)).toBe(false);
        expect(await kv.lock.acquire(key, { ttlMs: 10_000 })).toBeUndefined();
        expect(await current?.release()).toBe(true);
      });

      it('waits up to waitMs: acquires once released, gives up when not', async () => {
        const key = unique('lock');
        const holder = await kv.lock.acquire(key, { ttlMs: 10_000 });
        const started = Date.now();
        expect(await kv.lock.acquire(key, { ttlMs: 10_000, waitMs: 200 })).toBeUndefined();
        expect(Date.now() - started).toBeGreaterThanOrEqual(150);
        const waiting = kv.lock.acquire(key, { ttlMs: 10_000, waitMs: 10_000 });
        await sleep(100);
        await holder?.release();
        const next = await waiting;
        expect(next).toBeDefined();
        await next?.release();
      });

      it('extends a held lease', async () => {
        const key = unique('lock');
        const lease = await kv.lock.acquire(key, { ttlMs: 300 });
        expect(await lease?.extend(10_000)).toBe(true);
        await sleep(700);
        expect(await kv.lock.acquire(key, { ttlMs: 1_000 })).toBeUndefined();
        expect(await lease?.release()).toBe(true);
      });

      it('withLock runs the work, releases after it returns or throws, and says when the lock is busy', async () => {
        const key = unique('lock');
        expect(await kv.lock.withLock(key, { ttlMs: 10_000 }, async (lease) => lease.key)).toBe(
          key,
        );
        await expect(
          kv.lock.withLock(key, { ttlMs: 10_000 }, async () => {
            throw new Error('work failed');
          }),
        ).rejects.toThrow('work failed');
        const holder = await kv.lock.acquire(key, { ttlMs: 10_000 });
        expect(holder).toBeDefined();
        const busy = kv.lock.withLock(key, { ttlMs: 10_000, waitMs: 50 }, async () => 'ran');
        await expect(busy).rejects.toThrow(LockBusyError);
        await expect(busy).rejects.toThrow(`lock "${key}" is busy`);
        await holder?.release();
      });

      it('refuses bad ttlMs and waitMs', async () => {
        await expect(kv.lock.acquire(unique('lock'), { ttlMs: 0 })).rejects.toThrow(
          /ttlMs must be a whole number .* got 0/,
        );
        await expect(kv.lock.acquire(unique('lock'), { ttlMs: 100, waitMs: -1 })).rejects.toThrow(
          /waitMs must be a whole number of milliseconds from 0 .* got -1/,
        );
        const lease = await kv.lock.acquire(unique('lock'), { ttlMs: 1_000 });
        await expect(lease?.extend(1.5)).rejects.toThrow(RangeError);
        await lease?.release();
      });
    });

    it('pings while open and throws after close', async () => {
      const own = await makeKv({ logger: log.logger });
      const latency = await own.ping();
      expect(latency.cache).toBeGreaterThanOrEqual(0);
      expect(latency.bus).toBeGreaterThanOrEqual(0);
      await own.close();
      await own.close();
      await expect(own.ping()).rejects.toThrow();
    });
  });
}
