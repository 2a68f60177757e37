/**
 * `countersign worker`: works optimization jobs from the Redis queue (REDIS_URL) until Ctrl-C or
 * SIGTERM, so machines added this way share every `countersign optimize` (and, later, the
 * optimize_strategy tool) run against the same Redis.
 */
import { loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import {
  checkQueueName,
  DEFAULT_OPTIMIZE_QUEUE,
  type OptimizeWorker,
  startOptimizeWorker,
} from '../store/jobs/optimize-queue.js';
import { defaultThreads } from '../store/jobs/task-runner.js';
import { reportFailure } from './errors.js';
import { UsageError } from './run-options.js';

export interface WorkerOptions {
  threads?: string;
  queue?: string;
}

/** Parses --threads: a whole number from 1 to 256, default every core. */
export function parseThreads(text: string | undefined): number {
  if (text === undefined) return defaultThreads();
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 256)
    throw new UsageError(
      `--threads ${JSON.stringify(text)} is not valid; use a whole number from 1 to 256`,
    );
  return value;
}

/** Runs the worker in the foreground. The first signal finishes the running jobs; a second exits at once. */
export async function workerCommand(options: WorkerOptions): Promise<void> {
  let worker: OptimizeWorker | undefined;
  try {
    const config = loadConfig();
    const threads = parseThreads(options.threads);
    let queueName = DEFAULT_OPTIMIZE_QUEUE;
    try {
      queueName = checkQueueName(options.queue ?? DEFAULT_OPTIMIZE_QUEUE);
    } catch (error) {
      throw new UsageError(`--queue: ${(error as Error).message}`);
    }
    if (config.redisUrl === undefined)
      throw new UsageError(
        'countersign worker takes jobs from Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379) to the same Redis as the machines that run countersign optimize',
      );
    const logger = createLogger({ level: config.logLevel, name: 'countersign-worker' });
    worker = await startOptimizeWorker({ redisUrl: config.redisUrl, queueName, threads, logger });
    const running = worker;
    let stopping = false;
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          logger.warn({ signal }, 'second signal: exiting without waiting for running jobs');
          process.exit(130);
        }
        stopping = true;
        logger.info({ signal }, 'stopping: finishing the running jobs');
        running.close().then(resolve, (error) => {
          logger.error({ err: error }, 'error while stopping the worker');
          process.exitCode = 1;
          resolve();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    logger.info({ processed: running.processed() }, 'worker stopped');
  } catch (error) {
    await worker?.close().catch(() => undefined);
    if (error instanceof UsageError) {
      console.error(`countersign worker: ${error.message}`);
      process.exitCode = 2;
    } else {
      process.exitCode = reportFailure(error);
    }
  }
}
