/**
 * The contract every Broker adapter passes, run by paper.contract.test.ts (real PostgreSQL) and
 * alpaca.contract.test.ts (the fake Alpaca over real HTTP). Two adapters that pass it are
 * interchangeable behind orders/.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dec } from '../core/decimal.js';
import {
  type Broker,
  type BrokerOrderRequest,
  BrokerRejectedError,
  MissingApprovalError,
  type OrderSide,
  type OrderType,
} from './port.js';

/** One order as a contract test asks for it. */
export interface ContractOrderSpec {
  side: OrderSide;
  quantity: string;
  type?: OrderType;
  limitPrice?: string;
}

/** One adapter set up for one test: a fresh account with cash, and one symbol with a price. */
export interface BrokerHarness {
  broker: Broker;
  accountId: string;
  /** The symbol the contract trades, and its current market price. */
  symbol: string;
  price: string;
  /** A buy quantity whose cost exceeds the account's cash. */
  unaffordableQuantity: string;
  /** A request for a new order of `symbol` with a fresh client order id (the paper harness also creates its orders row). */
  newOrder(spec: ContractOrderSpec): Promise<BrokerOrderRequest>;
  /** Makes a working order fill completely (paper: a matching pass; Alpaca: the fake market fills it). */
  completeFill(request: BrokerOrderRequest): Promise<void>;
  /** How many order submissions have reached the broker for this account. */
  submissionsReceived(): Promise<number>;
  close(): Promise<void>;
}

const dec = (text: string) => new Dec(text);

/** Registers the broker contract suite under `name`; `makeHarness` runs before each test. */
export function describeBrokerContract(
  name: string,
  makeHarness: () => Promise<BrokerHarness>,
): void {
  describe(`broker contract: ${name}`, () => {
    let h: BrokerHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h?.close();
    });

    const buy = (quantity: string, more: Partial<ContractOrderSpec> = {}) =>
      h.newOrder({ side: 'buy', quantity, ...more });

    it('refuses an order without a human approval, and nothing reaches the broker', async () => {
      const request = await buy('1');
      const unapproved: BrokerOrderRequest[] = [
        { ...request, approval: undefined as unknown as BrokerOrderRequest['approval'] },
        { ...request, approval: { ...request.approval, approvalIds: [] } },
        { ...request, approval: { ...request.approval, proposalId: '' } },
        { ...request, approval: { ...request.approval, orderHash: 'not-a-hash' } },
      ];
      for (const attempt of unapproved)
        await expect(h.broker.submit(attempt)).rejects.toBeInstanceOf(MissingApprovalError);
      expect(await h.submissionsReceived()).toBe(0);
      expect(await h.broker.getOrder(h.accountId, request.clientOrderId)).toBeNull();
    });

    it('sending one clientOrderId twice, one after the other or at once, makes one order', async () => {
      const request = await buy('1', { type: 'limit', limitPrice: half(h.price) });
      const first = await h.broker.submit(request);
      const again = await h.broker.submit(request);
      expect(again.brokerOrderId).toBe(first.brokerOrderId);
      expect(again.clientOrderId).toBe(request.clientOrderId);

      const parallel = await buy('1', { type: 'limit', limitPrice: half(h.price) });
      const answers = await Promise.all([h.broker.submit(parallel), h.broker.submit(parallel)]);
      expect(answers[0]?.brokerOrderId).toBe(answers[1]?.brokerOrderId);
      const stored = await h.broker.getOrder(h.accountId, parallel.clientOrderId);
      expect(stored?.brokerOrderId).toBe(answers[0]?.brokerOrderId);
      expect(new Set([first.brokerOrderId, answers[0]?.brokerOrderId]).size).toBe(2);
    });

    it('getOrder of a client order id the broker never received is null', async () => {
      expect(await h.broker.getOrder(h.accountId, `cs-${randomUUID()}-1`)).toBeNull();
      const unsent = await buy('1');
      expect(await h.broker.getOrder(h.accountId, unsent.clientOrderId)).toBeNull();
    });

    it('a market buy ends up filled; its fills, position and cash agree to the cent', async () => {
      const cashBefore = dec((await h.broker.account(h.accountId)).cash);
      const request = await buy('10');
      const accepted = await h.broker.submit(request);
      expect(['accepted', 'partially_filled', 'filled']).toContain(accepted.status);
      await h.completeFill(request);

      const order = await h.broker.getOrder(h.accountId, request.clientOrderId);
      expect(order?.status).toBe('filled');
      expect(order?.filledQuantity).toBe('10');
      const avg = dec(order?.avgFillPrice ?? '0');
      expect(avg.gt(0)).toBe(true);

      const { fills } = await h.broker.fillsSince(h.accountId);
      const mine = fills.filter((fill) => fill.clientOrderId === request.clientOrderId);
      expect(mine.length).toBeGreaterThan(0);
      for (const fill of mine) {
        expect(fill).toMatchObject({
          symbol: h.symbol,
          side: 'buy',
          brokerOrderId: order?.brokerOrderId,
        });
        expect(Number.isNaN(Date.parse(fill.filledAt))).toBe(false);
      }
      const quantity = mine.reduce((sum, fill) => sum.plus(fill.quantity), dec('0'));
      const value = mine.reduce(
        (sum, fill) => sum.plus(dec(fill.quantity).times(fill.price)),
        dec('0'),
      );
      const commission = mine.reduce((sum, fill) => sum.plus(fill.commission), dec('0'));
      expect(quantity.toFixed()).toBe('10');
      expect(value.div(quantity).eq(avg)).toBe(true);

      const positions = await h.broker.positions(h.accountId);
      const position = positions.find((p) => p.symbol === h.symbol);
      expect(position?.quantity).toBe('10');
      expect(dec(position?.avgCost ?? '0').eq(avg)).toBe(true);
      expect(position?.marketValue).not.toBeNull();

      const account = await h.broker.account(h.accountId);
      expect(account.accountId).toBe(h.accountId);
      expect(account.currency).toBe('USD');
      const spent = value.plus(commission).toDecimalPlaces(2, Dec.ROUND_HALF_EVEN);
      expect(dec(account.cash).eq(cashBefore.minus(spent))).toBe(true);
      const holdings = positions.reduce((sum, p) => sum.plus(p.marketValue ?? '0'), dec('0'));
      expect(dec(account.equity).eq(dec(account.cash).plus(holdings))).toBe(true);
    });

    it('fills appear in fillsSince exactly once across cursors', async () => {
      const first = await buy('3');
      await h.broker.submit(first);
      await h.completeFill(first);
      const page1 = await h.broker.fillsSince(h.accountId);
      expect(page1.fills.map((f) => f.clientOrderId)).toContain(first.clientOrderId);
      expect((await h.broker.fillsSince(h.accountId, page1.cursor)).fills).toEqual([]);

      const second = await buy('4');
      await h.broker.submit(second);
      await h.completeFill(second);
      const page2 = await h.broker.fillsSince(h.accountId, page1.cursor);
      expect(page2.fills.length).toBeGreaterThan(0);
      expect(page2.fills.every((f) => f.clientOrderId === second.clientOrderId)).toBe(true);
      expect((await h.broker.fillsSince(h.accountId, page2.cursor)).fills).toEqual([]);

      const all = await h.broker.fillsSince(h.accountId);
      const ids = [...page1.fills, ...page2.fills].map((f) => f.brokerFillId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(all.fills.map((f) => f.brokerFillId)).toEqual(ids);
    });

    it('cancels a working limit order; a filled order cannot be cancelled', async () => {
      const limit = await buy('2', { type: 'limit', limitPrice: half(h.price) });
      expect((await h.broker.submit(limit)).status).toBe('accepted');
      const cancelled = await h.broker.cancel(h.accountId, limit.clientOrderId);
      expect(cancelled.status).toBe('cancelled');
      expect((await h.broker.getOrder(h.accountId, limit.clientOrderId))?.status).toBe('cancelled');
      expect((await h.broker.cancel(h.accountId, limit.clientOrderId)).status).toBe('cancelled');
      await h.completeFill(limit).catch(() => undefined);
      expect((await h.broker.getOrder(h.accountId, limit.clientOrderId))?.filledQuantity).toBe('0');

      const market = await buy('1');
      await h.broker.submit(market);
      await h.completeFill(market);
      const refused = h.broker.cancel(h.accountId, market.clientOrderId);
      await expect(refused).rejects.toBeInstanceOf(BrokerRejectedError);
      await expect(refused).rejects.toThrow(/already filled/);
      await expect(h.broker.cancel(h.accountId, `cs-${randomUUID()}-1`)).rejects.toBeInstanceOf(
        BrokerRejectedError,
      );
    });

    it("a refused order surfaces as BrokerRejectedError with the broker's reason, and no order exists", async () => {
      const request = await buy(h.unaffordableQuantity);
      const refused = h.broker.submit(request);
      await expect(refused).rejects.toBeInstanceOf(BrokerRejectedError);
      await expect(refused).rejects.toThrow(/cash|buying power/i);
      expect(await h.broker.getOrder(h.accountId, request.clientOrderId)).toBeNull();
      expect(await h.broker.positions(h.accountId)).toEqual([]);
    });
  });
}

/** Half a price, to the cent: a buy limit there does not fill. */
function half(price: string): string {
  return new Dec(price).div(2).toDecimalPlaces(2, Dec.ROUND_DOWN).toFixed(2);
}
