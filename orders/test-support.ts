/**
 * Test support for orders/: a recording broker (the port, in memory, that remembers every order it
 * was sent and checks each carries an approval proof), principals with roles, and a service over a
 * test database with a movable clock and price feed. Only tests import this file.
 */
import { randomUUID } from 'node:crypto';
import {
  type Broker,
  type BrokerOrder,
  type BrokerOrderRequest,
  BrokerRejectedError,
  BrokerUnavailableError,
  requireApproval,
} from '../broker/port.js';
import { silentLogger } from '../config/logger.js';
import type { Pool } from '../store/db/pool.js';
import { MemoryBus } from '../store/kv/memory-bus.js';
import type { LatestPrice, PriceSource } from './prices.js';
import { createOrders, type Orders } from './service.js';

/** A broker that records what reaches it. `mode` makes the next submits fail the way a real one can. */
export class RecordingBroker implements Broker {
  readonly name: string;
  readonly received: BrokerOrderRequest[] = [];
  readonly orders = new Map<string, BrokerOrder>();
  mode: 'fill' | 'accept' | 'unavailable' | 'reject' | 'crash_after_send' = 'fill';

  constructor(name = 'paper') {
    this.name = name;
  }

  async submit(order: BrokerOrderRequest): Promise<BrokerOrder> {
    requireApproval(order);
    if (this.mode === 'unavailable') throw new BrokerUnavailableError('broker down (test)');
    if (this.mode === 'reject')
      throw new BrokerRejectedError('insufficient buying power (test)', '40310000');
    const existing = this.orders.get(order.clientOrderId);
    if (existing) return existing;
    this.received.push(order);
    const filled = this.mode === 'fill';
    const state: BrokerOrder = {
      clientOrderId: order.clientOrderId,
      brokerOrderId: `rec-${randomUUID()}`,
      status: filled ? 'filled' : 'accepted',
      filledQuantity: filled ? (order.quantity ?? '1') : '0',
      avgFillPrice: filled ? '100' : null,
      updatedAt: new Date().toISOString(),
    };
    this.orders.set(order.clientOrderId, state);
    // The order reached the broker, but the process dies before it hears back.
    if (this.mode === 'crash_after_send')
      throw new BrokerUnavailableError('connection reset (test)');
    return state;
  }

  async cancel(_account: string, clientOrderId: string): Promise<BrokerOrder> {
    const order = this.orders.get(clientOrderId);
    if (!order) throw new BrokerRejectedError(`unknown order ${clientOrderId}`);
    const cancelled = { ...order, status: 'cancelled' as const };
    this.orders.set(clientOrderId, cancelled);
    return cancelled;
  }

  async getOrder(_account: string, clientOrderId: string) {
    return this.orders.get(clientOrderId) ?? null;
  }
  async positions() {
    return [];
  }
  async account(accountId: string) {
    return { accountId, currency: 'USD', cash: '0', equity: '0', buyingPower: null };
  }
  async fillsSince() {
    return { fills: [], cursor: '' };
  }
  async close() {}
}

/** Prices the test sets by hand. */
export class TestPrices implements PriceSource {
  readonly prices = new Map<string, LatestPrice>();
  set(symbol: string, price: string): void {
    this.prices.set(symbol, { price, at: '2021-04-21' });
  }
  async latest(symbols: string[]) {
    return new Map(
      symbols.filter((s) => this.prices.has(s)).map((s) => [s, this.prices.get(s) as LatestPrice]),
    );
  }
}

/** A principal with roles; returns its id. `account` null grants on every account. */
export async function addPrincipal(
  pool: Pool,
  handle: string,
  roles: { role: 'viewer' | 'trader' | 'approver' | 'admin'; account: string | null }[],
): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO principals (handle) VALUES ($1) ON CONFLICT (handle) DO UPDATE SET handle = EXCLUDED.handle RETURNING id`,
    [handle],
  );
  const id = (rows[0] as { id: string }).id;
  for (const grant of roles)
    await pool.query(
      'INSERT INTO role_grants (principal_id, account_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [id, grant.account, grant.role],
    );
  return id;
}

/** The service over `pool` with a recording broker, hand-set prices and a clock the test moves. */
export function testOrders(pool: Pool, options: { driftGuard?: number } = {}) {
  const broker = new RecordingBroker('paper');
  const prices = new TestPrices();
  const clock = { now: new Date() };
  const bus = new MemoryBus(silentLogger());
  const events: { topic: string; payload: unknown }[] = [];
  const make = (): Orders =>
    createOrders({
      pool,
      bus,
      brokers: { paper: broker },
      prices,
      logger: silentLogger(),
      now: () => clock.now,
      driftGuard: options.driftGuard,
    });
  return { orders: make(), restart: make, broker, prices, clock, bus, events };
}
