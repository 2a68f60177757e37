/**
 * Optimization as BullMQ jobs on the real Redis: the same results as in-process, work done by a
 * separate worker, cancellation, and clear failures. Each test file uses its own key prefix and
 * each test its own queue, so parallel runs never take each other's jobs.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import type { PriceSeries } from '../../core/series/price-series.js';
import { SAMPLE_DIR } from '../../test/helpers/fixtures.js';
import {
  connectTestRedis,
  deleteRedisKeys,
  testRedisPrefix,
  testRedisUrl,
} from '../../test/helpers/redis.js';
import { loadSeries } from '../market-data/load-series.js';
import { checkQueueName, createQueueRunner, startOptimizeWorker } from './optimize-queue.js';
import { type OptimizeRequest, optimizeStrategy } from './optimize-strategy.js';
import { createThreadRunner } from './task-runner.js';

const url = testRedisUrl();
const prefix = testRedisPrefix().slice(0, -1);
const logger = silentLogger();
let series: PriceSeries[];

const request = (overrides: Partial<OptimizeRequest> = {}): OptimizeRequest => ({
  strategy: 'sma_cross',
  symbols: ['AAPL', 'KO'],
  source: { kind: 'series', series },
  from: '2010-01-01',
  to: '2020-12-31',
  priceMode: 'raw',
  config: {},
  method: 'grid',
  axes: { fast: [5, 10, 15, 20], slow: [50, 100, 150] },
  objectives: ['sharpe'],
  ...overrides,
});

const queueName = () => `test-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  series = await loadSeries(
    { kind: 'files', path: SAMPLE_DIR },
    { symbols: ['AAPL', 'KO'], from: '2010-01-01', to: '2020-12-31' },
  );
});

afterAll(async () => {
  if (url) await deleteRedisKeys(url, `${prefix}:`);
});

describe('checkQueueName', () => {
  it('names the bad value and the valid form', () => {
    expect(checkQueueName('team-a_1')).toBe('team-a_1');
    expect(() => checkQueueName('a b')).toThrow(
      'queue name "a b" is not valid; use 1 to 64 letters, digits, _ or -',
    );
    expect(() => checkQueueName('')).toThrow(/not valid/);
  });
});

describe.skipIf(!url)('optimization on the Redis queue', () => {
  const redisUrl = url as string;

  it('gives the same rows, bests and backtest count as running in-process', async () => {
    const inProcess = createThreadRunner(1);
    const expected = await optimizeStrategy(request(), inProcess);
    await inProcess.close();
    const runner = await createQueueRunner({
      redisUrl,
      prefix,
      queueName: queueName(),
      logger,
      localThreads: 1,
    });
    let lastProgress = 0;
    try {
      const report = await optimizeStrategy(
        request({ onProgress: (done) => (lastProgress = done) }),
        runner,
      );
      expect(runner.kind).toBe('queue');
      expect(report.rows).toEqual(expected.rows);
      expect(report.best).toEqual(expected.best);
      expect(report.backtests).toBe(24);
      expect(lastProgress).toBe(24);
    } finally {
      await runner.close();
    }
  });

  it('lets a separate worker (another machine) do the work, bars sent once per symbol', async () => {
    const name = queueName();
    const worker = await startOptimizeWorker({
      redisUrl,
      prefix,
      queueName: name,
      logger,
      threads: 1,
    });
    const runner = await createQueueRunner({
      redisUrl,
      prefix,
      queueName: name,
      logger,
      localThreads: 0,
    });
    const redis = await connectTestRedis(redisUrl);
    try {
      const report = await optimizeStrategy(
        request({ walkForward: 2, calendars: calendars() }),
        runner,
      );
      expect(worker.processed()).toBeGreaterThan(2);
      expect(report.rows).toHaveLength(24);
      expect(report.walkForward.map((one) => one.folds.length)).toEqual([2, 2]);
      const inProcess = createThreadRunner(1);
      const expected = await optimizeStrategy(
        request({ walkForward: 2, calendars: calendars() }),
        inProcess,
      );
      await inProcess.close();
      expect(report.walkForward).toEqual(expected.walkForward);
      // One stored series per symbol, whatever the number of jobs.
      const stored = await redis.keys(`${prefix}:series:*`);
      expect(stored.length).toBeGreaterThanOrEqual(2);
      const ttl = await redis.ttl(stored[0] as string);
      expect(ttl).toBeGreaterThan(3600);
    } finally {
      await redis.quit();
      await runner.close();
      await worker.close();
    }
  });

  it('cancels: the run rejects at once and its waiting jobs are gone, so no worker runs them', async () => {
    const name = queueName();
    const runner = await createQueueRunner({
      redisUrl,
      prefix,
      queueName: name,
      logger,
      localThreads: 0,
    });
    const queue = new Queue(name, { connection: connection(redisUrl), prefix });
    const abort = new AbortController();
    try {
      const running = optimizeStrategy(request({ signal: abort.signal }), runner);
      await until(async () => (await queue.getWaitingCount()) > 0);
      abort.abort(new Error('stopped by the test'));
      await expect(running).rejects.toThrow(/stopped by the test|aborted/);
      await until(async () => (await queue.getWaitingCount()) === 0);
      const worker = await startOptimizeWorker({
        redisUrl,
        prefix,
        queueName: name,
        logger,
        threads: 1,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(worker.processed()).toBe(0);
      await worker.close();
    } finally {
      await runner.close();
      await queue.close();
    }
  });

  it('fails a job whose bars expired with a message that says so', async () => {
    const name = queueName();
    const worker = await startOptimizeWorker({
      redisUrl,
      prefix,
      queueName: name,
      logger,
      threads: 1,
    });
    const queue = new Queue(name, { connection: connection(redisUrl), prefix });
    try {
      const job = await queue.add('optimize', {
        runId: 'r1',
        task: {
          strategy: 'sma_cross',
          config: {},
          priceMode: 'raw',
          symbol: 'AAPL',
          params: [{ fast: 10, slow: 50 }],
          seriesKey: `${prefix}:series:gone`,
        },
      });
      await until(async () => (await job.getState()) === 'failed');
      const failed = await queue.getJob(job.id as string);
      expect(failed?.failedReason).toMatch(/no longer in Redis.*run the optimization again/);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('names host and port when Redis is not there', async () => {
    await expect(
      createQueueRunner({ redisUrl: 'redis://127.0.0.1:1', prefix, logger, localThreads: 0 }),
    ).rejects.toThrow(/Could not connect to Redis at 127\.0\.0\.1:1\/0/);
    await expect(
      startOptimizeWorker({ redisUrl: 'redis://127.0.0.1:1', prefix, logger, threads: 1 }),
    ).rejects.toThrow(/127\.0\.0\.1:1/);
  });
});

/** Host and port for a BullMQ test queue (BullMQ's options take no URL). */
function connection(redisUrl: string): { host: string; port: number } {
  const parsed = new URL(redisUrl);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}

function calendars(): Record<string, string[]> {
  return Object.fromEntries(series.map((one) => [one.symbol, one.dates]));
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
