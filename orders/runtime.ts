/**
 * The orders service as a process runs it: its brokers (paper always; Alpaca with keys), and the
 * background work — the expiry sweeper, reconciliation of unconfirmed orders, paper matching.
 */

import { createAlpacaBroker } from '../broker/alpaca/index.js';
import {
  createPaperBroker,
  type MatchResult,
  type PaperBroker,
  PaperMatchError,
} from '../broker/paper/index.js';
import type { Broker } from '../broker/port.js';
import type { Config } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import type { Pool } from '../store/db/pool.js';
import type { Bus } from '../store/kv/bus.js';
import { databasePrices } from './prices.js';
import { createOrders, type Orders } from './service.js';

export interface OrdersRuntime {
  orders: Orders;
  brokers: Record<string, Broker>;
  /** Starts the timers (server only; a CLI command does its work and leaves). */
  startBackground(intervals?: { expiryMs?: number; reconcileMs?: number; matchMs?: number }): void;
  close(): Promise<void>;
}

/** Builds the brokers and the service over one pool and bus. */
export function createOrdersRuntime(options: {
  pool: Pool;
  bus: Bus;
  config: Config;
  logger: Logger;
}): OrdersRuntime {
  const { pool, bus, config, logger } = options;
  const paper: PaperBroker = createPaperBroker({ pool });
  const brokers: Record<string, Broker> = { paper };
  if (config.alpaca.keyId && config.alpaca.secretKey) {
    brokers.alpaca = createAlpacaBroker({
      keyId: config.alpaca.keyId,
      secretKey: config.alpaca.secretKey,
      baseUrl: config.alpaca.baseUrl,
      live: config.alpaca.live,
    });
  }
  const orders = createOrders({ pool, bus, brokers, prices: databasePrices(pool), logger });
  const timers: NodeJS.Timeout[] = [];
  const guard = (name: string, work: () => Promise<unknown>) => async () => {
    try {
      await work();
    } catch (error) {
      logger.warn({ err: error, task: name }, 'orders background task failed; it runs again');
    }
  };
  return {
    orders,
    brokers,
    startBackground(intervals = {}) {
      void guard('reconcile', orders.reconcile)();
      const every = (ms: number, name: string, work: () => Promise<unknown>) => {
        const timer = setInterval(guard(name, work), ms);
        timer.unref();
        timers.push(timer);
      };
      every(intervals.expiryMs ?? 5_000, 'expire', orders.expireDue);
      every(intervals.reconcileMs ?? 30_000, 'reconcile', orders.reconcile);
      every(intervals.reconcileMs ?? 30_000, 'sync', () => orders.syncOpen());
      every(intervals.matchMs ?? 15_000, 'paper match', async () => {
        let result: MatchResult;
        let failure: unknown;
        try {
          result = await paper.match();
        } catch (error) {
          if (!(error instanceof PaperMatchError)) throw error;
          // Some orders failed to match; the others were booked and still need their events.
          result = error.result;
          failure = error;
        }
        const touched = [
          ...result.fills.map((f) => f.clientOrderId),
          ...result.cancelled.map((o) => o.clientOrderId),
        ];
        if (touched.length > 0) await orders.syncOpen([...new Set(touched)]);
        if (failure) throw failure;
      });
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(Object.values(brokers).map((broker) => broker.close()));
    },
  };
}
