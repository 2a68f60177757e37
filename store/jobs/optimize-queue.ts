/**
 * Optimization tasks as BullMQ jobs on Redis, so `countersign worker` processes on other machines
 * add capacity. The submitting process works jobs too (with its own threads), so a queue run
 * finishes even when no other worker is up.
 *
 * Bars do not travel inside the jobs: each series is stored once under a key named by the
 * SHA-1 of its bytes (series-codec.ts) and the jobs name the key, so 500 jobs on one symbol carry
 * its 250 KB once, and a worker that already holds those bars (same key) reuses them.
 * Crash safety is BullMQ's: a job whose worker dies is put back by the stalled-job check and run
 * elsewhere; a job is removed from Redis only an hour after it completed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { type Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../../config/logger.js';
import type { PriceSeries } from '../../core/series/price-series.js';
import { closeRedis, connectRedis, describeRedisUrl } from '../kv/redis-connection.js';
import { readSeriesFile } from '../market-data/series-file.js';
import type { OptimizeTask, TaskRow } from './optimize-task.js';
import { decodeSeries, encodeSeries } from './series-codec.js';
import { createThreadRunner, type TaskRunner } from './task-runner.js';

/** The queue optimization jobs go to unless `--queue` names another. */
export const DEFAULT_OPTIMIZE_QUEUE = 'countersign-optimize';
/** BullMQ's key prefix: every key Countersign's queues write starts with it. */
export const QUEUE_PREFIX = 'countersign:bull';
/** How long stored bars stay in Redis; each run that uses them again resets it. */
export const SERIES_TTL_SECONDS = 6 * 3600;
/** Series a worker keeps decoded (about 250 KB each for 20 years of daily bars). */
const SERIES_CACHE_LIMIT = 600;

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Series this process stored for its own runs, by key: its local worker takes them from here
 * instead of reading back and decoding the bytes it just wrote.
 */
const storedHere = new Map<string, PriceSeries>();

/** A queue name as `--queue` takes it, or a RangeError that says what is valid. */
export function checkQueueName(name: string): string {
  if (!QUEUE_NAME.test(name))
    throw new RangeError(
      `queue name ${JSON.stringify(name)} is not valid; use 1 to 64 letters, digits, _ or -`,
    );
  return name;
}

/** What a job carries: the task without its bars, and the key of the bars. */
interface JobData {
  runId: string;
  task: Omit<OptimizeTask, 'series' | 'file'> & { seriesKey: string };
}

export interface QueueOptions {
  redisUrl: string;
  /** Default DEFAULT_OPTIMIZE_QUEUE. */
  queueName?: string;
  logger: Logger;
  /** Key prefix of everything stored; default QUEUE_PREFIX (tests give each file its own). */
  prefix?: string;
}

const seriesKey = (prefix: string, digest: string) => `${prefix}:series:${digest}`;
const cancelKey = (prefix: string, queueName: string, runId: string) =>
  `${prefix}:${queueName}:cancelled:${runId}`;

/** BullMQ needs connections that retry forever (maxRetriesPerRequest null) for its blocking reads. */
function bullConnection(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: name });
}

/**
 * Fails within a few seconds with a message naming host:port when Redis is not there, instead of
 * BullMQ's endless reconnecting.
 */
async function checkReachable(url: string, logger: Logger): Promise<void> {
  const probe = await connectRedis(url, logger);
  await Promise.all([closeRedis(probe.main), closeRedis(probe.subscriber)]);
}

/**
 * How many worker processes are listening on the queue now (`countersign worker`s, and runs
 * working it locally). Throws, naming host:port, when Redis cannot be reached.
 */
export async function countQueueWorkers(options: QueueOptions): Promise<number> {
  const queueName = checkQueueName(options.queueName ?? DEFAULT_OPTIMIZE_QUEUE);
  await checkReachable(options.redisUrl, options.logger);
  const connection = bullConnection(options.redisUrl, 'countersign-queue-probe');
  const queue = new Queue(queueName, { connection, prefix: options.prefix ?? QUEUE_PREFIX });
  try {
    return await queue.getWorkersCount();
  } finally {
    await queue.close();
    await closeRedis(connection);
  }
}

/** A process working optimization jobs. */
export interface OptimizeWorker {
  readonly queueName: string;
  readonly threads: number;
  /** Jobs this worker finished (completed or failed) since it started. */
  processed(): number;
  /** Stops taking jobs, lets the running ones finish, then closes its threads and connections. */
  close(): Promise<void>;
}

/**
 * Starts working optimization jobs on `threads` threads (1: in this thread). `countersign worker`
 * runs one; a queue runner runs one in the submitting process.
 */
export async function startOptimizeWorker(
  options: QueueOptions & { threads: number },
): Promise<OptimizeWorker> {
  const queueName = checkQueueName(options.queueName ?? DEFAULT_OPTIMIZE_QUEUE);
  const { logger } = options;
  const prefix = options.prefix ?? QUEUE_PREFIX;
  await checkReachable(options.redisUrl, logger);
  const connection = bullConnection(options.redisUrl, 'countersign-worker');
  const runner = createThreadRunner(options.threads);
  const cache = new Map<string, Promise<PriceSeries>>();
  let processed = 0;

  const seriesFor = (key: string): Promise<PriceSeries> => {
    const own = storedHere.get(key);
    if (own) return Promise.resolve(own);
    let series = cache.get(key);
    if (series) {
      cache.delete(key);
      cache.set(key, series);
      return series;
    }
    series = connection.getBuffer(key).then((buffer) => {
      if (buffer === null)
        throw new UnrecoverableError(
          `the bars of this job (${key}) are no longer in Redis: they expire ${SERIES_TTL_SECONDS / 3600} h after a run last stored them; run the optimization again`,
        );
      return decodeSeries(buffer);
    });
    if (cache.size >= SERIES_CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, series);
    series.catch(() => cache.delete(key));
    return series;
  };

  const worker = new Worker<JobData, TaskRow[]>(
    queueName,
    async (job: Job<JobData, TaskRow[]>, _token?: string, signal?: AbortSignal) => {
      const { runId, task } = job.data;
      if ((await connection.exists(cancelKey(prefix, queueName, runId))) === 1)
        throw new UnrecoverableError('the optimization this job belongs to was cancelled');
      const series = await seriesFor(task.seriesKey);
      return runner.run({ ...task, series }, signal);
    },
    {
      connection,
      prefix,
      // Two jobs per thread: one runs while the next one's bars and parameters arrive.
      concurrency: Math.max(1, options.threads) * 2,
    },
  );
  worker.on('completed', () => {
    processed += 1;
  });
  worker.on('failed', (job, error) => {
    processed += 1;
    logger.warn({ job: job?.id, queue: queueName, err: error }, 'optimization job failed');
  });
  worker.on('error', (error) => {
    logger.error({ err: error, queue: queueName }, 'optimization worker error');
  });
  await worker.waitUntilReady();
  logger.info(
    { queue: queueName, threads: options.threads, redis: describeRedisUrl(options.redisUrl) },
    'optimization worker started',
  );
  return {
    queueName,
    threads: options.threads,
    processed: () => processed,
    close: async () => {
      await worker.close();
      await runner.close();
      await closeRedis(connection);
    },
  };
}

/**
 * A TaskRunner that sends each task to the queue as one job and waits for its result. With
 * `localThreads` > 0 it also works the queue in this process, so it needs no other worker.
 * Cancelling (the run's abort signal) drops its jobs still waiting and marks the run cancelled,
 * so a worker that picks up one of its jobs anyway refuses it; a job already running finishes
 * (tasks are small: a fraction of a second each).
 */
export async function createQueueRunner(
  options: QueueOptions & { localThreads: number },
): Promise<TaskRunner & { readonly queueName: string; readonly runId: string }> {
  const queueName = checkQueueName(options.queueName ?? DEFAULT_OPTIMIZE_QUEUE);
  const prefix = options.prefix ?? QUEUE_PREFIX;
  await checkReachable(options.redisUrl, options.logger);
  const connection = bullConnection(options.redisUrl, 'countersign-queue');
  const queue = new Queue<JobData, TaskRow[]>(queueName, { connection, prefix });
  // QueueEvents blocks on its own connection (XREAD BLOCK). BullMQ leaves connections it was
  // handed open on close, so both are closed here.
  const eventsConnection = bullConnection(options.redisUrl, 'countersign-queue-events');
  const events = new QueueEvents(queueName, { connection: eventsConnection, prefix });
  // One listener per job in flight on the shared emitters.
  setMaxListeners(0, queue, events);
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const local =
    options.localThreads > 0
      ? await startOptimizeWorker({ ...options, queueName, threads: options.localThreads })
      : undefined;
  const runId = randomUUID();
  const stored = new WeakMap<PriceSeries, Promise<string>>();
  const keys = new Set<string>();
  const files = new Map<string, Promise<PriceSeries>>();
  const pending = new Set<string>();
  let cancelled: Promise<void> | undefined;

  /** Stores the series once per run (by content), refreshing its TTL; resolves to its key. */
  const store = (series: PriceSeries): Promise<string> => {
    let key = stored.get(series);
    if (!key) {
      key = (async () => {
        const bytes = encodeSeries(series);
        const name = seriesKey(prefix, createHash('sha1').update(bytes).digest('hex'));
        // Present already (an earlier run, another symbol list): only keep it longer.
        if ((await connection.expire(name, SERIES_TTL_SECONDS)) === 0)
          await connection.set(name, bytes, 'EX', SERIES_TTL_SECONDS);
        storedHere.set(name, series);
        keys.add(name);
        return name;
      })();
      stored.set(series, key);
    }
    return key;
  };

  const seriesOf = (task: OptimizeTask): Promise<PriceSeries> => {
    if (task.series) return Promise.resolve(task.series);
    const path = task.file as string;
    let series = files.get(path);
    if (!series) {
      series = readSeriesFile(path);
      files.set(path, series);
    }
    return series;
  };

  const cancel = (): Promise<void> => {
    // Taken now: the abort rejects the waiting calls, which then forget their jobs.
    const ids = [...pending];
    cancelled ??= (async () => {
      await connection.set(cancelKey(prefix, queueName, runId), '1', 'EX', SERIES_TTL_SECONDS);
      // Only waiting or delayed jobs can be removed; a running one is locked and finishes.
      await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
    })().catch((error) =>
      options.logger.warn({ err: error, queue: queueName }, 'could not cancel queued jobs'),
    );
    return cancelled;
  };

  /** Rejects every job promise waiting on `signal` when it aborts: one listener per signal. */
  const waiting = new Map<string, (reason: unknown) => void>();
  const watched = new WeakSet<AbortSignal>();
  const watch = (signal: AbortSignal) => {
    if (watched.has(signal)) return;
    watched.add(signal);
    signal.addEventListener(
      'abort',
      () => {
        void cancel();
        for (const reject of waiting.values()) reject(signal.reason);
      },
      { once: true },
    );
  };

  const run = async (task: OptimizeTask, signal?: AbortSignal): Promise<TaskRow[]> => {
    signal?.throwIfAborted();
    if (signal) watch(signal);
    const { series: _series, file: _file, ...rest } = task;
    const key = await store(await seriesOf(task));
    signal?.throwIfAborted();
    const job = await queue.add(
      'optimize',
      { runId, task: { ...rest, seriesKey: key } },
      { removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } },
    );
    const id = job.id as string;
    pending.add(id);
    try {
      if (cancelled) {
        // Added while the cancel was going out: take it back too.
        await queue.remove(id).catch(() => 0);
        signal?.throwIfAborted();
        throw new Error('the optimization was cancelled');
      }
      return await new Promise<TaskRow[]>((resolve, reject) => {
        waiting.set(id, reject);
        job.waitUntilFinished(events).then(resolve, reject);
      });
    } finally {
      waiting.delete(id);
      pending.delete(id);
    }
  };

  return {
    kind: 'queue',
    queueName,
    runId,
    // Enough jobs in flight for the local threads and a few remote workers' worth; more only
    // costs a millisecond of Redis traffic per job.
    parallelism: Math.max(8, 2 * options.localThreads),
    run,
    close: async () => {
      if (pending.size > 0) await cancel();
      await local?.close();
      await events.close();
      await queue.close();
      await Promise.all([closeRedis(connection), closeRedis(eventsConnection)]);
      for (const key of keys) storedHere.delete(key);
    },
  };
}
