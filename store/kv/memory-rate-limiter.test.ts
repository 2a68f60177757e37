/** Exact token-bucket arithmetic of the in-process limiter, on a fake clock. */
import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from './memory-rate-limiter.js';

function limiter(capacity: number, refillPerSecond: number) {
  const clock = { now: 1_000_000 };
  const rl = new MemoryRateLimiter(
    { name: 'test', capacity, refillPerSecond },
    { now: () => clock.now },
  );
  return { rl, clock };
}

describe('MemoryRateLimiter', () => {
  it('refills refillPerSecond tokens a second, capped at capacity', async () => {
    const { rl, clock } = limiter(10, 2);
    for (let i = 9; i >= 0; i--) {
      expect(await rl.take('k')).toEqual({ allowed: true, remaining: i, retryAfterMs: 0 });
    }
    expect(await rl.take('k')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
    clock.now += 250;
    expect(await rl.take('k')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 250 });
    clock.now += 250;
    expect(await rl.take('k')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    clock.now += 1_500;
    expect(await rl.take('k')).toEqual({ allowed: true, remaining: 2, retryAfterMs: 0 });
    clock.now += 60_000;
    expect(await rl.take('k')).toEqual({ allowed: true, remaining: 9, retryAfterMs: 0 });
  });

  it('says how long until a larger cost fits', async () => {
    const { rl, clock } = limiter(5, 4);
    expect(await rl.take('k', 4)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
    // 1 token held, 4 needed: 3 more at 4/s is 750 ms.
    expect(await rl.take('k', 4)).toEqual({ allowed: false, remaining: 1, retryAfterMs: 750 });
    clock.now += 749;
    expect((await rl.take('k', 4)).allowed).toBe(false);
    clock.now += 1;
    expect(await rl.take('k', 4)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('handles fractional rates without drift', async () => {
    const { rl, clock } = limiter(1, 0.1);
    expect((await rl.take('k')).allowed).toBe(true);
    expect(await rl.take('k')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 10_000 });
    clock.now += 10_000;
    expect((await rl.take('k')).allowed).toBe(true);
  });

  it('refills nothing when the clock steps back', async () => {
    const { rl, clock } = limiter(2, 1);
    await rl.take('k');
    await rl.take('k');
    clock.now -= 60_000;
    expect(await rl.take('k')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1_000 });
  });

  it('forgets buckets that have refilled, so idle keys do not hold memory', async () => {
    const { rl, clock } = limiter(1, 1);
    for (let i = 0; i < 1_000; i++) await rl.take(`user-${i}`);
    expect(rl.size).toBe(1_000);
    clock.now += 1_000;
    for (let i = 0; i < 100; i++) await rl.take(`other-${i}`);
    expect(rl.size).toBeLessThanOrEqual(100);
  });

  it('refuses a bad policy or cost, naming the value and the range', async () => {
    expect(() => new MemoryRateLimiter({ name: 'x', capacity: -1, refillPerSecond: 1 })).toThrow(
      new RangeError('capacity of rate limiter "x" must be a finite number greater than 0; got -1'),
    );
    expect(() => new MemoryRateLimiter({ name: '', capacity: 1, refillPerSecond: 1 })).toThrow(
      /name must be a non-empty string/,
    );
    const { rl } = limiter(3, 1);
    await expect(rl.take('k', 4)).rejects.toThrow(
      new RangeError(
        'cost must be a number greater than 0 and at most the capacity 3 of rate limiter "test"; got 4',
      ),
    );
  });
});
