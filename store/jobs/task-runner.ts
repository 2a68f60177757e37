/** Where optimization tasks run: in this thread, on a pool of worker threads, or (queue-runner.ts) on Redis. */
import { availableParallelism } from 'node:os';
import { Tinypool } from 'tinypool';
import { type OptimizeTask, runOptimizeTask, type TaskRow } from './optimize-task.js';

/** Runs tasks somewhere; `parallelism` is how many it can run at once. */
export interface TaskRunner {
  readonly kind: 'in_process' | 'threads' | 'queue';
  readonly parallelism: number;
  /** The Redis queue, for kind 'queue'. */
  readonly queueName?: string;
  run(task: OptimizeTask, signal?: AbortSignal): Promise<TaskRow[]>;
  close(): Promise<void>;
}

/** The number of cores Node may use: the default worker count. */
export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * One thread runs tasks in-process (no start-up cost: small grids finish before a worker thread
 * would have loaded); more use a Tinypool of worker threads, each keeping the bars it loaded.
 */
export function createThreadRunner(threads: number): TaskRunner {
  if (threads <= 1) {
    return {
      kind: 'in_process',
      parallelism: 1,
      run: async (task, signal) => {
        // Let the event loop poll between tasks: in a server this thread also answers HTTP, and
        // a cancel or a progress notification must not wait for the whole search to end.
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        return runOptimizeTask(task);
      },
      close: async () => {},
    };
  }
  const pool = new Tinypool({
    filename: new URL('./optimize-worker.mjs', import.meta.url).href,
    name: 'runOptimizeTask',
    minThreads: threads,
    maxThreads: threads,
  });
  return {
    kind: 'threads',
    parallelism: threads,
    run: (task, signal) => pool.run(task, signal ? { signal } : {}) as Promise<TaskRow[]>,
    close: () => pool.destroy(),
  };
}
