/**
 * The model core as a server starts it: the runtime (CUDA tried, else CPU), the service attached
 * to the pool, the first screening model trained on the stored prices in a worker thread when
 * there is none (MODEL_AUTOTRAIN; start-up is not held up), and a drift check of the live model
 * after every import — PostgreSQL's `countersign_bars_changed` notification, from any process,
 * settled for a few seconds — published as `model.drifted` when a feature newly drifts (the
 * alerts with condition model_drift send it).
 */
import type { Config } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import { type ChangeListener, listenForChanges } from '../store/db/change-listener.js';
import type { Pool } from '../store/db/pool.js';
import type { Bus } from '../store/kv/bus.js';
import { BARS_CHANGED_CHANNEL } from '../store/market-data/price-cache.js';
import { loadUniverse } from '../store/market-data/universe.js';
import { createModelRuntime } from './runtime.js';
import { attachModels, createModelService, type ModelService } from './service.js';

declare module '../store/kv/events.js' {
  interface BusEvents {
    /** The live model's features moved beyond the PSI threshold since its training window. */
    'model.drifted': { model: string; features: string[]; at: string };
  }
}

export interface ModelsRuntime {
  service: ModelService;
  /** Resolves when the first-start training (if any) is over. */
  trained: Promise<void>;
  close(): Promise<void>;
}

export async function startModels(options: {
  pool: Pool;
  config: Config;
  logger: Logger;
  bus?: Bus;
  /** Wait after the last import notification before checking drift (default 3 s). */
  settleMs?: number;
}): Promise<ModelsRuntime> {
  const { pool, config, logger, bus } = options;
  const runtime = createModelRuntime({ logger, provider: config.models.provider });
  const service = createModelService({ pool, dataDir: config.dataDir, runtime, logger });
  attachModels(pool, service);
  const all = async () =>
    (await loadUniverse({ kind: 'database', pool }, { symbols: 'all' })).series;
  const trained = config.models.autoTrain
    ? service.trainIfNone(all).catch(() => undefined)
    : Promise.resolve();

  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;
  const check = () => {
    checking = (async () => {
      await trained;
      const before = service.lastDrift();
      const report = await service.checkDrift(await all());
      if (
        bus &&
        report &&
        report.drifted.length > 0 &&
        (before?.model !== report.model || before.drifted.join() !== report.drifted.join())
      )
        await bus.publish('model.drifted', {
          model: report.model,
          features: report.drifted,
          at: report.checked_at,
        });
    })().catch((error: Error) => logger.warn({ err: error }, 'model drift check failed'));
  };
  let closed = false;
  // Connecting counts as a change too: so the check runs once after start (and the first
  // training), and again after a lost listener reconnects, when imports may have been missed.
  const listener: ChangeListener = await listenForChanges(pool, {
    channel: BARS_CHANGED_CHANNEL,
    applicationName: 'countersign-models',
    logger,
    lostMessage: 'model drift: lost the import listener; reconnecting',
    retryMs: 5_000,
    onChange: () => {
      if (closed) return;
      clearTimeout(timer);
      timer = setTimeout(check, options.settleMs ?? 3_000);
      timer.unref();
    },
  });
  return {
    service,
    trained,
    async close() {
      closed = true;
      clearTimeout(timer);
      await listener.close();
      await trained;
      await checking;
      await service.close();
    },
  };
}
