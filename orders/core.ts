/**
 * What every part of the orders service shares, built once by createOrders: the pool, the
 * dependencies, the clock, the logger, event publishing, the audit writer and the settings.
 */
import type { Broker } from '../broker/port.js';
import type { Logger } from '../config/logger.js';
import { appendAudit } from '../store/audit/audit-log.js';
import type { AuditInput } from '../store/audit/types.js';
import type { Pool, PoolClient } from '../store/db/pool.js';
import type { Bus } from '../store/kv/bus.js';
import type { PriceSource } from './prices.js';

/** What the service needs. */
export interface OrdersDeps {
  pool: Pool;
  bus: Bus;
  /** Adapters by accounts.broker ('paper', 'alpaca'). */
  brokers: Record<string, Broker>;
  prices: PriceSource;
  logger: Logger;
  /** The clock (tests move it). */
  now?: () => Date;
  /** Largest |latest / reference − 1| at approval time; default 0.02. */
  driftGuard?: number;
  /** Default proposal lifetime in seconds; 900. */
  defaultExpirySeconds?: number;
}

/** What a proposal's strategy label may be (the proposals.strategy CHECK). */
export const STRATEGY_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,39}$/;

/** An open account as the orders service reads it (the row shape lives with its SQL). */
export type { AccountRow } from './repo.js';

/** The shared core handed to each part of the service. */
export interface OrdersCore {
  pool: Pool;
  deps: OrdersDeps;
  now: () => Date;
  logger: Logger;
  driftGuard: number;
  defaultExpiry: number;
  /** Publishes an event; a failure to publish is logged, never thrown. */
  publish: <K extends Parameters<Bus['publish']>[0]>(
    topic: K,
    payload: Parameters<Bus['publish']>[1] & object,
  ) => void;
  audit: (client: PoolClient, entry: AuditInput) => ReturnType<typeof appendAudit>;
}

/** Builds the core from the service's dependencies. */
export function createCore(deps: OrdersDeps): OrdersCore {
  const { pool, bus, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const driftGuard = deps.driftGuard ?? 0.02;
  const defaultExpiry = deps.defaultExpirySeconds ?? 900;

  const publish = <K extends Parameters<Bus['publish']>[0]>(
    topic: K,
    payload: Parameters<Bus['publish']>[1] & object,
  ) => {
    void bus.publish(topic, payload as never).catch((error: unknown) => {
      logger.warn({ err: error, topic }, 'could not publish an orders event');
    });
  };

  const audit = (client: PoolClient, entry: AuditInput) => appendAudit(client, entry);

  return { pool, deps, now, logger, driftGuard, defaultExpiry, publish, audit };
}
