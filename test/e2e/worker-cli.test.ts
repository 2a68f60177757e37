/**
 * `countersign worker` and `countersign optimize` with REDIS_URL, as an operator runs them: a
 * worker process doing another process's jobs, a clean stop, and the errors that name what to fix.
 */
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import type { PriceSeries } from '../../core/series/price-series.js';
import { createQueueRunner, QUEUE_PREFIX } from '../../store/jobs/optimize-queue.js';
import { optimizeStrategy } from '../../store/jobs/optimize-strategy.js';
import { encodeSeries } from '../../store/jobs/series-codec.js';
import { importPaths } from '../../store/market-data/import-paths.js';
import { loadSeries } from '../../store/market-data/load-series.js';
import { runCli as runCliIn, startCli, withoutNotices } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { SAMPLE_DIR } from '../helpers/fixtures.js';
import { connectTestRedis, deleteRedisKeys, testRedisUrl } from '../helpers/redis.js';

const url = testRedisUrl();
const queue = `e2e-${randomUUID().slice(0, 8)}`;
const range = { symbols: ['AAPL', 'KO'], from: '2012-01-01', to: '2019-12-31' };
const optimizeArgs = [
  'optimize',
  '--strategy',
  'sma_cross',
  '--symbols',
  range.symbols.join(','),
  '--from',
  range.from,
  '--to',
  range.to,
  '--grid',
  'fast=5:20:5,slow=50:150:50',
  '--data',
  SAMPLE_DIR,
  '--json',
];
let series: PriceSeries[];
/** The database the CLI's tool calls use (optimize runs optimize_strategy through the gate). */
let db: TestDatabase;

/** Runs the CLI on this file's database, with `env` added. */
const runCli = (args: string[], env: Record<string, string> = {}) =>
  runCliIn(args, { DATABASE_URL: db.url, ...env });

beforeAll(async () => {
  series = await loadSeries({ kind: 'files', path: SAMPLE_DIR }, range);
  db = await createTestDatabase();
  await importPaths(
    db.pool,
    range.symbols.map((symbol) => path.join(SAMPLE_DIR, `${symbol}.csv.gz`)),
  );
}, 120_000);

afterAll(async () => {
  await db?.drop();
  if (!url) return;
  await deleteRedisKeys(url, `${QUEUE_PREFIX}:${queue}:`);
  // The bars this file stored, by their content keys (nothing else's).
  const redis = await connectTestRedis(url);
  for (const one of series)
    await redis.del(
      `${QUEUE_PREFIX}:series:${createHash('sha1').update(encodeSeries(one)).digest('hex')}`,
    );
  await redis.quit();
});

describe('countersign worker: refused settings', () => {
  it('needs REDIS_URL and says so', async () => {
    const run = await runCli(['worker']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/countersign worker takes jobs from Redis: set REDIS_URL/);
  });

  it('names a bad --threads and a bad --queue', async () => {
    const threads = await runCli(['worker', '--threads', '0'], {
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(threads.code).toBe(2);
    expect(threads.stderr).toContain(
      '--threads "0" is not valid; use a whole number from 1 to 256',
    );
    const name = await runCli(['worker', '--queue', 'no spaces'], {
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('queue name "no spaces" is not valid');
  });

  it('names the Redis it could not reach', async () => {
    const run = await runCli(['worker'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Could not connect to Redis at 127\.0\.0\.1:1\/0/);
  });
});

describe.skipIf(!url)('countersign worker with REDIS_URL', () => {
  const redisUrl = url as string;

  it("works another process's jobs, then finishes and stops on SIGTERM", async () => {
    const worker = startCli(['worker', '--threads', '1', '--queue', queue], {
      REDIS_URL: redisUrl,
    });
    try {
      await worker.waitFor(/optimization worker started/);
      // This process only submits (no local threads): the worker process does every backtest.
      const runner = await createQueueRunner({
        redisUrl,
        queueName: queue,
        localThreads: 0,
        logger: silentLogger(),
      });
      try {
        const report = await optimizeStrategy(
          {
            strategy: 'sma_cross',
            symbols: range.symbols,
            source: { kind: 'series', series },
            from: range.from,
            to: range.to,
            priceMode: 'raw',
            config: {},
            method: 'grid',
            axes: { fast: [5, 10, 15, 20], slow: [50, 100, 150] },
            objectives: ['sharpe'],
          },
          runner,
        );
        expect(report.rows).toHaveLength(24);
        expect(report.rows.every((row) => row.finalEquity !== null)).toBe(true);
      } finally {
        await runner.close();
      }
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      const stopped = worker
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .find((entry) => entry.msg === 'worker stopped');
      expect(stopped.processed).toBeGreaterThanOrEqual(2);
    } finally {
      worker.child.kill('SIGKILL');
    }
  });

  it('optimize on the queue prints the same rows as optimize --local', async () => {
    const queued = await runCli([...optimizeArgs, '--queue', queue], { REDIS_URL: redisUrl });
    expect(withoutNotices(queued.stderr)).toBe('');
    expect(queued.code).toBe(0);
    const local = await runCli([...optimizeArgs, '--local'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(local.code).toBe(0);
    const rows = (text: string) => JSON.parse(text).rows;
    expect(rows(queued.stdout)).toEqual(rows(local.stdout));
    expect(rows(queued.stdout)).toHaveLength(24);
    const summary = await runCli(
      [...optimizeArgs.filter((arg) => arg !== '--json'), '--queue', queue],
      {
        REDIS_URL: redisUrl,
      },
    );
    expect(summary.code).toBe(0);
    expect(summary.stdout).toMatch(
      new RegExp(
        `Backtests +24 in [\\d.]+ s, shared on the Redis queue ${queue} \\(this machine working it too\\)`,
      ),
    );
  });

  it('without --queue stays on this machine when no worker listens on the queue', async () => {
    const run = await runCli(
      optimizeArgs.filter((arg) => arg !== '--json'),
      {
        REDIS_URL: redisUrl,
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Backtests +24 in [\d.]+ s, in one thread/);
  });

  it('optimize names the Redis it could not reach, and --queue must be a valid name', async () => {
    const dead = await runCli(optimizeArgs, { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(
      /Could not connect to Redis at 127\.0\.0\.1:1\/0.*unset REDIS_URL/s,
    );
    const bad = await runCli([...optimizeArgs, '--queue', 'a/b'], { REDIS_URL: redisUrl });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--queue: queue name "a/b" is not valid');
  });
});
