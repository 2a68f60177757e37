/**
 * Trains the screening model (train-task.ts) and saves it in the registry as `staging`:
 * on the caller's thread, or in a worker thread (`inWorker`) so a server keeps answering while it
 * trains. Progress is reported by stage.
 */
import { Worker } from 'node:worker_threads';
import type { PriceSeries } from '../core/series/price-series.js';
import type { Pool } from '../store/db/pool.js';
import { FEATURES } from './features.js';
import type { BoostingOptions } from './gradient-boosting.js';
import { type ModelRecord, saveModel } from './registry.js';
import { type FittedScreenModel, fitScreenModel } from './train-task.js';

export const SCREEN_MODEL = 'screen';

function fitInWorker(
  series: readonly PriceSeries[],
  boosting: BoostingOptions | undefined,
  progress: ((stage: string) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<FittedScreenModel> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const worker = new Worker(new URL('./train-worker.mjs', import.meta.url));
    const abort = () => {
      reject(new Error('training was stopped (the process is shutting down)'));
      void worker.terminate();
    };
    signal?.addEventListener('abort', abort, { once: true });
    worker.on('exit', () => signal?.removeEventListener('abort', abort));
    worker.on(
      'message',
      (message: { stage?: string; ok?: boolean; fitted?: FittedScreenModel; error?: string }) => {
        if (message.stage) progress?.(message.stage);
        else if (message.ok) resolve(message.fitted as FittedScreenModel);
        else reject(new RangeError(message.error));
        if (message.ok !== undefined) void worker.terminate();
      },
    );
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code !== 0) reject(new Error(`the training thread stopped with code ${code}`));
    });
    worker.postMessage({ series, boosting });
  });
}

export async function trainScreenModel(
  pool: Pool,
  dataDir: string,
  series: readonly PriceSeries[],
  options: {
    actor?: string;
    progress?: (stage: string) => void;
    boosting?: BoostingOptions;
    inWorker?: boolean;
    /** Stops a training in a worker thread (nothing is saved). */
    signal?: AbortSignal;
  } = {},
): Promise<ModelRecord> {
  const fitted = options.inWorker
    ? await fitInWorker(series, options.boosting, options.progress, options.signal)
    : fitScreenModel(series, options);
  options.progress?.('saving');
  return saveModel(pool, dataDir, {
    name: SCREEN_MODEL,
    onnx: fitted.onnx,
    features: FEATURES,
    trainFrom: fitted.trainFrom,
    trainTo: fitted.trainTo,
    params: fitted.params,
    metrics: { walk_forward: fitted.report },
    ...(options.actor ? { actor: options.actor } : {}),
  });
}
