/**
 * The model core's runtime: onnxruntime-node sessions in worker threads (a session's run blocks
 * the thread it runs on, so it never runs on the server's), inputs batched as one float32
 * tensor [rows, features]. The CUDA execution provider is used when it is asked for and answers:
 * it is tried on a tiny model first, and when it throws (no CUDA libraries, no GPU — the normal
 * case on a machine without one) the runtime serves on CPU and says why in one log line.
 * `provider()` says which serves (for /health).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../config/logger.js';
import { treeEnsembleToOnnx } from './onnx-export.js';

export type ExecutionProvider = 'cuda' | 'cpu';

/** A model file that cannot be read or is not a model onnxruntime accepts; the message says which and why. */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

export interface LoadedModel {
  id: string;
  name: string;
  features: number;
}

export interface ModelRuntime {
  /** Resolves once the workers are up and the provider is chosen. */
  ready: Promise<ExecutionProvider>;
  provider(): ExecutionProvider | 'starting';
  /** Why CUDA is not serving, when it was asked for and is not. */
  fallbackReason(): string | undefined;
  /** Loads ONNX bytes (or a file) into every worker. ModelLoadError when it cannot. */
  load(name: string, source: Uint8Array | string, features: number): Promise<LoadedModel>;
  /** Scores `data` (rows × features, row-major); one output per row. */
  score(model: LoadedModel, data: Float32Array): Promise<Float32Array>;
  release(model: LoadedModel): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

/** A one-tree model, to try an execution provider on. */
const probe = () =>
  treeEnsembleToOnnx({
    features: 1,
    base: 0,
    trees: [[{ feature: -1, threshold: 0, left: -1, right: -1, value: 1 }]],
  });

export function createModelRuntime(options: {
  logger: Logger;
  /** 'auto' tries CUDA then CPU; default 'auto'. */
  provider?: 'auto' | ExecutionProvider;
  /** Worker threads (default 1). */
  threads?: number;
}): ModelRuntime {
  const { logger } = options;
  const threads = Math.max(1, Math.min(options.threads ?? 1, 8));
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL('./onnx-worker.mjs', import.meta.url)),
  );
  const pending = new Map<number, Pending>();
  let seq = 0;
  let next = 0;
  let chosen: ExecutionProvider | undefined;
  let reason: string | undefined;
  for (const worker of workers) {
    worker.unref();
    worker.on('message', (message: { seq: number; ok: boolean; error?: string }) => {
      const waiting = pending.get(message.seq);
      if (!waiting) return;
      pending.delete(message.seq);
      if (message.ok) waiting.resolve(message as Record<string, unknown>);
      else waiting.reject(new Error(message.error));
    });
    worker.on('error', (error) => logger.error({ err: error }, 'model runtime: a worker failed'));
  }
  const ask = (worker: Worker, message: Record<string, unknown>, transfer: ArrayBuffer[] = []) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, seq: id }, transfer);
    });
  const providers = () => (chosen === 'cuda' ? ['cuda', 'cpu'] : ['cpu']);

  const ready = (async (): Promise<ExecutionProvider> => {
    const wanted = options.provider ?? 'auto';
    if (wanted !== 'cpu') {
      try {
        await ask(workers[0] as Worker, {
          op: 'load',
          id: 'probe',
          bytes: probe(),
          providers: ['cuda'],
        });
        await ask(workers[0] as Worker, { op: 'release', id: 'probe' });
        chosen = 'cuda';
        logger.info('model runtime: serving on CUDA');
        return chosen;
      } catch (error) {
        reason = (error as Error).message.split('\n')[0]?.slice(0, 200) ?? 'unknown';
        logger.info(`model runtime: CUDA is not available (${reason}); serving on CPU`);
      }
    }
    chosen = 'cpu';
    return chosen;
  })();

  return {
    ready,
    provider: () => chosen ?? 'starting',
    fallbackReason: () => reason,
    async load(name, source, features) {
      await ready;
      let bytes: Uint8Array;
      if (typeof source === 'string') {
        try {
          bytes = await readFile(source);
        } catch (error) {
          throw new ModelLoadError(
            `model ${name}: cannot read ${source} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
          );
        }
      } else bytes = source;
      const id = randomUUID();
      try {
        await Promise.all(
          workers.map((worker) =>
            ask(worker, { op: 'load', id, bytes: Uint8Array.from(bytes), providers: providers() }),
          ),
        );
      } catch (error) {
        throw new ModelLoadError(
          `model ${name}: onnxruntime refused it (${(error as Error).message.split('\n')[0]?.slice(0, 300)})`,
        );
      }
      return { id, name, features };
    },
    async score(model, data) {
      if (data.length % model.features !== 0)
        throw new RangeError(
          `${data.length} values are not whole rows of ${model.features} features for model ${model.name}`,
        );
      const rows = data.length / model.features;
      if (rows === 0) return new Float32Array(0);
      const worker = workers[next++ % workers.length] as Worker;
      const copy = Float32Array.from(data);
      const answer = await ask(
        worker,
        { op: 'run', id: model.id, data: copy, dims: [rows, model.features] },
        [copy.buffer],
      );
      return answer.data as Float32Array;
    },
    async release(model) {
      await Promise.all(workers.map((worker) => ask(worker, { op: 'release', id: model.id })));
    },
    async close() {
      for (const waiting of pending.values())
        waiting.reject(new Error('the model runtime is closed'));
      pending.clear();
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
