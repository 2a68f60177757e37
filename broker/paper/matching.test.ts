/**
 * Paper matching on a real PostgreSQL: partial fills by volume share over successive quotes, limit
 * and stop orders, slippage and commission to the cent in the ledger, time in force, notional
 * orders, and what happens when cash runs out between submit and fill.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/database.js';
import type { BrokerOrderRequest } from '../port.js';
import type { PaperBrokerOptions } from './options.js';
import { createPaperBroker, type PaperBroker } from './paper-broker.js';
import { type MemoryQuotes, memoryQuotes } from './quotes.js';
import {
  auditOf,
  cashIn,
  createOrderRow,
  createPaperAccount,
  fillsOf,
  ledgerOf,
  positionOf,
  readOrder,
  type TestOrderSpec,
} from './test-orders.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

/** A fresh account with `cash`, a quote feed, and a broker over them. */
async function setup(cash = '100000', options: PaperBrokerOptions = {}, fractional = false) {
  const quotes: MemoryQuotes = memoryQuotes();
  const broker: PaperBroker = createPaperBroker({ pool: db.pool, quotes, options });
  const accountId = await createPaperAccount(db.pool, { cash, fractional });
  const order = (spec: TestOrderSpec): Promise<BrokerOrderRequest> =>
    createOrderRow(db.pool, accountId, spec);
  const quote = (symbol: string, price: string, at: string, volume: string | null = null) =>
    quotes.set(symbol, { price, volume, at });
  return { broker, quotes, accountId, order, quote };
}

describe('partial fills by volume share', () => {
  it('takes 10 % of each new quote until filled, never twice from the same quote', async () => {
    const { broker, accountId, order, quote } = await setup();
    quote('PF', '50', 'd1', '1000');
    const request = await order({ symbol: 'PF', side: 'buy', quantity: '250' });
    const accepted = await broker.submit(request);
    expect(accepted).toMatchObject({
      status: 'partially_filled',
      filledQuantity: '100',
      avgFillPrice: '50.025',
    });

    const again = await broker.match(accountId);
    expect(again.fills).toEqual([]);
    expect((await readOrder(db.pool, request.orderId))?.filled_quantity).toBe('100');

    quote('PF', '52', 'd2', '1000');
    const second = await broker.match(accountId);
    expect(second.fills.map((f) => [f.quantity, f.price])).toEqual([['100', '52.026']]);

    quote('PF', '51', 'd3', '3000');
    const third = await broker.match(accountId);
    expect(third.fills.map((f) => [f.quantity, f.price])).toEqual([['50', '51.0255']]);
    expect((await broker.match(accountId)).fills).toEqual([]);

    // (5002.5 + 5202.6 + 2551.275) / 250 = 51.0255
    expect(await readOrder(db.pool, request.orderId)).toMatchObject({
      status: 'filled',
      filled_quantity: '250',
      avg_fill_price: '51.0255',
    });
    const fills = await fillsOf(db.pool, request.orderId);
    expect(fills.map((f) => f.broker_fill_id)).toEqual(
      ['d1', 'd2', 'd3'].map((at) => `paper-${request.orderId}@${at}`),
    );
    // 2551.275 → 2551.28 (banker's rounding: 7 is odd)
    expect((await ledgerOf(db.pool, accountId)).map((l) => [l.kind, l.amount])).toEqual([
      ['trade', '-5002.5'],
      ['trade', '-5202.6'],
      ['trade', '-2551.28'],
    ]);
    expect(await cashIn(db.pool, accountId)).toBe('87243.62');
    expect(await positionOf(db.pool, accountId, 'PF')).toMatchObject({
      quantity: '250',
      avg_cost: '51.0255',
    });
    expect(await auditOf(db.pool, request.orderId)).toEqual([
      'order.partially_filled',
      'order.partially_filled',
      'order.filled',
    ]);
  });

  it('a quote with no volume fills nothing and the order keeps working', async () => {
    const { broker, order, quote } = await setup();
    quote('PZ', '50', 'd1', '0');
    const request = await order({ symbol: 'PZ', side: 'buy', quantity: '10' });
    expect((await broker.submit(request)).status).toBe('accepted');
    expect(await fillsOf(db.pool, request.orderId)).toEqual([]);
  });
});

describe('limit and stop orders', () => {
  it('a limit buy waits until the quote is at or below the limit and never pays more than it', async () => {
    const { broker, accountId, order, quote } = await setup();
    quote('LB', '100', 'd1');
    const request = await order({
      symbol: 'LB',
      side: 'buy',
      quantity: '10',
      type: 'limit',
      limitPrice: '99',
    });
    expect((await broker.submit(request)).status).toBe('accepted');
    quote('LB', '99.5', 'd2');
    expect((await broker.match(accountId)).fills).toEqual([]);
    quote('LB', '98', 'd3');
    expect((await broker.match(accountId)).fills.map((f) => f.price)).toEqual(['98.049']);

    quote('LC', '99.98', 'd1');
    const capped = await order({
      symbol: 'LC',
      side: 'buy',
      quantity: '1',
      type: 'limit',
      limitPrice: '100',
    });
    // 99.98 slipped is 100.03: the limit caps it at 100.
    expect(await broker.submit(capped)).toMatchObject({ status: 'filled', avgFillPrice: '100' });
  });

  it('a limit sell waits until the quote is at or above the limit', async () => {
    const { broker, accountId, order, quote } = await setup();
    quote('LS', '100', 'd1');
    await broker.submit(await order({ symbol: 'LS', side: 'buy', quantity: '20' }));
    const sell = await order({
      symbol: 'LS',
      side: 'sell',
      quantity: '10',
      type: 'limit',
      limitPrice: '105',
    });
    expect((await broker.submit(sell)).status).toBe('accepted');
    quote('LS', '106', 'd2');
    expect((await broker.match(accountId)).fills.map((f) => [f.side, f.price])).toEqual([
      ['sell', '105.947'],
    ]);
    // realized: 10 × (105.947 − 100.05)
    expect(await positionOf(db.pool, accountId, 'LS')).toMatchObject({
      quantity: '10',
      realized_pnl: '58.97',
    });
  });

  it('a stop buy triggers at the stop, then fills like a market order and stays triggered', async () => {
    const { broker, accountId, order, quote } = await setup();
    quote('SB', '104', 'd1', '1000');
    const request = await order({
      symbol: 'SB',
      side: 'buy',
      quantity: '200',
      type: 'stop',
      stopPrice: '105',
    });
    expect((await broker.submit(request)).status).toBe('accepted');
    quote('SB', '105.5', 'd2', '1000');
    expect((await broker.match(accountId)).fills.map((f) => [f.quantity, f.price])).toEqual([
      ['100', '105.5528'],
    ]);
    // Back below the stop: it triggered already, so it keeps filling.
    quote('SB', '100', 'd3', '1000');
    expect((await broker.match(accountId)).fills.map((f) => [f.quantity, f.price])).toEqual([
      ['100', '100.05'],
    ]);
    expect((await readOrder(db.pool, request.orderId))?.status).toBe('filled');
  });

  it('a stop sell triggers at or below the stop', async () => {
    const { broker, accountId, order, quote } = await setup();
    quote('SS', '100', 'd1');
    await broker.submit(await order({ symbol: 'SS', side: 'buy', quantity: '10' }));
    const stop = await order({
      symbol: 'SS',
      side: 'sell',
      quantity: '10',
      type: 'stop',
      stopPrice: '95',
    });
    expect((await broker.submit(stop)).status).toBe('accepted');
    quote('SS', '96', 'd2');
    expect((await broker.match(accountId)).fills).toEqual([]);
    quote('SS', '94', 'd3');
    expect((await broker.match(accountId)).fills.map((f) => f.price)).toEqual(['93.953']);
    expect(await positionOf(db.pool, accountId, 'SS')).toMatchObject({
      quantity: '0',
      avg_cost: '0',
      opened_at: null,
    });
  });
});

describe('slippage and commission, to the cent', () => {
  it('books trade and commission lines with the fill, and realized P&L on the sale', async () => {
    const { broker, accountId, order, quote } = await setup('100000', {
      slippageBps: 5,
      commissionPerShare: '0.005',
      commissionBps: 1,
      commissionMinimum: '1.00',
    });
    quote('CM', '123.45', 'd1');
    const buy = await order({ symbol: 'CM', side: 'buy', quantity: '150' });
    // 123.45 × 1.0005 = 123.511725 → 123.5118; 150 × 123.5118 = 18526.77;
    // commission 150 × 0.005 + 18526.77 × 0.0001 = 0.75 + 1.852677 → 2.60
    expect(await broker.submit(buy)).toMatchObject({ status: 'filled', avgFillPrice: '123.5118' });
    expect(await fillsOf(db.pool, buy.orderId)).toMatchObject([
      { quantity: '150', price: '123.5118', commission: '2.6' },
    ]);

    quote('CM', '130', 'd2');
    const sell = await order({ symbol: 'CM', side: 'sell', quantity: '50' });
    // 130 × 0.9995 = 129.935; 50 × 129.935 = 6496.75; commission 0.25 + 0.649675 → 0.90 → minimum 1.00
    expect(await broker.submit(sell)).toMatchObject({ status: 'filled', avgFillPrice: '129.935' });

    const ledger = await ledgerOf(db.pool, accountId);
    expect(ledger.map((l) => [l.kind, l.amount])).toEqual([
      ['trade', '-18526.77'],
      ['commission', '-2.6'],
      ['trade', '6496.75'],
      ['commission', '-1'],
    ]);
    expect(ledger.every((l) => l.fill_id !== null)).toBe(true);
    expect(await cashIn(db.pool, accountId)).toBe('87966.38');
    // realized before commission: 50 × (129.935 − 123.5118) = 321.16
    expect(await positionOf(db.pool, accountId, 'CM')).toMatchObject({
      quantity: '100',
      avg_cost: '123.5118',
      realized_pnl: '321.16',
    });
    // equity at the 130 quote: 87966.38 + 100 × 130
    expect(await broker.account(accountId)).toMatchObject({
      cash: '87966.38',
      equity: '100966.38',
    });
  });

  it('rounds half a cent to even', async () => {
    const { broker, accountId, order, quote } = await setup('100', { slippageBps: 0 });
    quote('HC', '10.125', 'd1');
    await broker.submit(await order({ symbol: 'HC', side: 'buy', quantity: '1' }));
    quote('HD', '10.005', 'd1');
    await broker.submit(await order({ symbol: 'HD', side: 'buy', quantity: '3' }));
    // 10.125 → 10.12 (2 is even); 3 × 10.005 = 30.015 → 30.02 (1 is odd)
    expect((await ledgerOf(db.pool, accountId)).map((l) => l.amount)).toEqual(['-10.12', '-30.02']);
  });
});

describe('time in force', () => {
  it('fok fills completely at once or not at all', async () => {
    const { broker, order, quote } = await setup();
    quote('FK', '50', 'd1', '1000');
    const tooBig = await order({ symbol: 'FK', side: 'buy', quantity: '500', timeInForce: 'fok' });
    const refused = await broker.submit(tooBig);
    expect(refused).toMatchObject({ status: 'cancelled', filledQuantity: '0' });
    expect(refused.reason).toMatch(/^fok: only 100 of the order could fill at once/);
    expect(await fillsOf(db.pool, tooBig.orderId)).toEqual([]);
    expect(await auditOf(db.pool, tooBig.orderId)).toEqual(['order.cancelled']);

    const fits = await order({ symbol: 'FK', side: 'buy', quantity: '100', timeInForce: 'fok' });
    expect(await broker.submit(fits)).toMatchObject({ status: 'filled', filledQuantity: '100' });
  });

  it('ioc keeps what fills at once and cancels the rest', async () => {
    const { broker, accountId, order, quote } = await setup();
    quote('IC', '50', 'd1', '1000');
    const request = await order({ symbol: 'IC', side: 'buy', quantity: '500', timeInForce: 'ioc' });
    const answer = await broker.submit(request);
    expect(answer).toMatchObject({
      status: 'cancelled',
      filledQuantity: '100',
      avgFillPrice: '50.025',
    });
    expect(answer.reason).toBe('ioc: 100 filled at once; the rest is cancelled');
    expect(await auditOf(db.pool, request.orderId)).toEqual([
      'order.partially_filled',
      'order.cancelled',
    ]);
    quote('IC', '50', 'd2', '1000');
    expect((await broker.match(accountId)).fills).toEqual([]);

    const limit = await order({
      symbol: 'IC',
      side: 'buy',
      quantity: '1',
      type: 'limit',
      limitPrice: '40',
      timeInForce: 'ioc',
    });
    const none = await broker.submit(limit);
    expect(none).toMatchObject({ status: 'cancelled', filledQuantity: '0' });
    expect(none.reason).toBe(
      'ioc: nothing filled at once: the quote 50 is not through the limit 40',
    );
  });

  it('day and gtc orders keep working until they fill or are cancelled', async () => {
    const { broker, accountId, order, quote } = await setup();
    quote('DG', '50', 'd1');
    const day = await order({
      symbol: 'DG',
      side: 'buy',
      quantity: '1',
      type: 'limit',
      limitPrice: '40',
    });
    const gtc = await order({
      symbol: 'DG',
      side: 'buy',
      quantity: '1',
      type: 'limit',
      limitPrice: '40',
      timeInForce: 'gtc',
    });
    await broker.submit(day);
    await broker.submit(gtc);
    quote('DG', '45', 'd2');
    await broker.match(accountId);
    expect((await readOrder(db.pool, day.orderId))?.status).toBe('submitted');
    expect((await readOrder(db.pool, gtc.orderId))?.status).toBe('submitted');
    quote('DG', '39', 'd3');
    expect((await broker.match(accountId)).fills).toHaveLength(2);
  });
});

describe('notional orders', () => {
  it('buy whole shares unless the account allows fractions', async () => {
    const whole = await setup();
    whole.quote('NT', '100', 'd1');
    expect(
      await whole.broker.submit(await whole.order({ symbol: 'NT', side: 'buy', notional: '1000' })),
    ).toMatchObject({
      status: 'filled',
      filledQuantity: '9',
      avgFillPrice: '100.05',
    });
    expect(await cashIn(db.pool, whole.accountId)).toBe('99099.55');

    const fractional = await setup('100000', {}, true);
    fractional.quote('NT', '100', 'd1');
    expect(
      await fractional.broker.submit(
        await fractional.order({ symbol: 'NT', side: 'buy', notional: '1000' }),
      ),
    ).toMatchObject({ status: 'filled', filledQuantity: '9.995002' });
    // 9.995002 × 100.05 = 999.9999501 → 1000.00
    expect(await cashIn(db.pool, fractional.accountId)).toBe('99000.00');
  });

  it('fill over several quotes until the notional left buys less than a share', async () => {
    const { broker, accountId, order, quote } = await setup();
    quote('NP', '100', 'd1', '50');
    const request = await order({ symbol: 'NP', side: 'buy', notional: '1000' });
    expect(await broker.submit(request)).toMatchObject({
      status: 'partially_filled',
      filledQuantity: '5',
    });
    quote('NP', '100', 'd2', '50');
    // 1000 − 500.25 = 499.75 buys 4 at 100.05, leaving 99.55
    expect((await broker.match(accountId)).fills.map((f) => f.quantity)).toEqual(['4']);
    expect(await readOrder(db.pool, request.orderId)).toMatchObject({
      status: 'filled',
      filled_quantity: '9',
    });
  });

  it('a notional that buys no whole share is refused', async () => {
    const { broker, order, quote } = await setup();
    quote('NS', '100', 'd1');
    await expect(
      broker.submit(await order({ symbol: 'NS', side: 'buy', notional: '50' })),
    ).rejects.toThrow(
      'notional 50 buys no whole share of NS at 100.05; this account does not allow fractional shares',
    );
  });
});

describe('funds at fill time', () => {
  it('a buy the cash no longer covers when it would fill is cancelled, and cash never goes negative', async () => {
    const { broker, accountId, order, quote } = await setup('1000');
    quote('CF', '110', 'd1');
    const first = await order({
      symbol: 'CF',
      side: 'buy',
      quantity: '6',
      type: 'limit',
      limitPrice: '100',
    });
    const second = await order({
      symbol: 'CF',
      side: 'buy',
      quantity: '6',
      type: 'limit',
      limitPrice: '100',
    });
    // Each costs at most 600 and the cash is 1000: both are accepted.
    expect((await broker.submit(first)).status).toBe('accepted');
    expect((await broker.submit(second)).status).toBe('accepted');
    quote('CF', '99', 'd2');
    const pass = await broker.match(accountId);
    // 6 × 99.0495 = 594.297 → 594.30; 405.70 is left, short of the second one's 594.30.
    expect(pass.fills.map((f) => f.clientOrderId)).toEqual([first.clientOrderId]);
    expect(pass.cancelled).toHaveLength(1);
    expect(pass.cancelled[0]).toMatchObject({
      clientOrderId: second.clientOrderId,
      status: 'cancelled',
    });
    expect(pass.cancelled[0]?.reason).toBe(
      'insufficient cash at fill time: buying 6 CF at 99.0495 costs 594.30 (commission 0.00 included), cash is 405.70; paper accounts have no margin',
    );
    expect(await cashIn(db.pool, accountId)).toBe('405.70');
    expect(await auditOf(db.pool, second.orderId)).toEqual(['order.cancelled']);
  });
});
