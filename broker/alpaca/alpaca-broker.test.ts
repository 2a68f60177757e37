/**
 * The Alpaca adapter beyond the shared contract, over real HTTP against the fake Alpaca: what it
 * refuses to start with, the exact requests it sends, idempotent submit when answers are lost,
 * time out or fail, how Alpaca's errors surface, cancel races, partial fills and fill paging.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  approvedRequest,
  type FakeAlpaca,
  startFakeAlpaca,
} from '../../test/helpers/fake-alpaca.js';
import { BrokerRejectedError, BrokerUnavailableError, MissingApprovalError } from '../port.js';
import { type AlpacaBroker, createAlpacaBroker } from './alpaca-broker.js';

let fake: FakeAlpaca;
let broker: AlpacaBroker;
const ACCOUNT = 'alpaca-main';
const posts = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders');
const make = (options: { timeoutMs?: number; secretKey?: string; baseUrl?: string } = {}) =>
  createAlpacaBroker({
    keyId: fake.keyId,
    secretKey: options.secretKey ?? fake.secretKey,
    baseUrl: options.baseUrl ?? fake.url,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });

beforeEach(async () => {
  fake = await startFakeAlpaca({ cash: '100000', prices: { AAPL: '200', MSFT: '400' } });
  broker = make();
});
afterEach(async () => {
  await fake.close();
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected the call to fail');
  return error;
}

describe('construction', () => {
  it('refuses to start without both keys', () => {
    const base = { baseUrl: 'https://paper-api.alpaca.markets' };
    expect(() =>
      createAlpacaBroker({ ...base, keyId: undefined, secretKey: 's3cret-key' }),
    ).toThrow('alpaca: ALPACA_KEY_ID is not set; both the key id and the secret key are needed');
    expect(() => createAlpacaBroker({ ...base, keyId: 'PKKEY123', secretKey: '' })).toThrow(
      /ALPACA_SECRET_KEY is not set/,
    );
  });

  it("refuses Alpaca's live endpoint unless live is set", () => {
    const keys = { keyId: 'PKKEY123', secretKey: 's3cret-key' };
    for (const baseUrl of [
      'https://api.alpaca.markets',
      'https://api.alpaca.markets/',
      'https://api.alpaca.markets/v2',
    ])
      expect(() => createAlpacaBroker({ ...keys, baseUrl })).toThrow(
        /is Alpaca's live endpoint \(real money\); set ALPACA_LIVE=true to trade live/,
      );
    expect(() =>
      createAlpacaBroker({ ...keys, baseUrl: 'https://api.alpaca.markets', live: false }),
    ).toThrow(/live endpoint/);
    expect(
      createAlpacaBroker({ ...keys, baseUrl: 'https://api.alpaca.markets', live: true }).name,
    ).toBe('alpaca');
    expect(createAlpacaBroker({ ...keys, baseUrl: 'https://paper-api.alpaca.markets' }).name).toBe(
      'alpaca',
    );
  });

  it('refuses a URL that is not one, or plain http beyond loopback (the keys travel in headers)', () => {
    const keys = { keyId: 'PKKEY123', secretKey: 's3cret-key' };
    expect(() => createAlpacaBroker({ ...keys, baseUrl: 'paper-api' })).toThrow(/is not a URL/);
    expect(() =>
      createAlpacaBroker({ ...keys, baseUrl: 'http://paper-api.alpaca.markets' }),
    ).toThrow(/must be https/);
    expect(() => createAlpacaBroker({ ...keys, baseUrl: 'https://x.test', timeoutMs: 0 })).toThrow(
      RangeError,
    );
  });

  it('accepts a base URL that ends in /v2 without doubling it', async () => {
    const account = await make({ baseUrl: `${fake.url}/v2/` }).account(ACCOUNT);
    expect(account.cash).toBe('100000');
    expect(fake.requests.at(-1)?.path).toBe('/v2/account');
  });
});

describe('requests', () => {
  it('sends the documented order body with the key headers', async () => {
    const request = approvedRequest(ACCOUNT, {
      symbol: 'AAPL',
      side: 'buy',
      quantity: '10',
      type: 'limit',
      limitPrice: '199.5',
      timeInForce: 'gtc',
    });
    const order = await broker.submit(request);
    expect(order).toMatchObject({
      clientOrderId: request.clientOrderId,
      status: 'accepted',
      filledQuantity: '0',
      avgFillPrice: null,
    });
    expect(posts().map((r) => r.body)).toEqual([
      {
        symbol: 'AAPL',
        side: 'buy',
        type: 'limit',
        time_in_force: 'gtc',
        client_order_id: request.clientOrderId,
        qty: '10',
        limit_price: '199.5',
      },
    ]);
    const notional = approvedRequest(ACCOUNT, { symbol: 'MSFT', side: 'buy', notional: '1000' });
    await broker.submit(notional);
    expect(posts()[1]?.body).toEqual({
      symbol: 'MSFT',
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
      client_order_id: notional.clientOrderId,
      notional: '1000',
    });
    const stop = approvedRequest(ACCOUNT, {
      symbol: 'AAPL',
      side: 'buy',
      quantity: '1',
      type: 'stop',
      stopPrice: '210',
    });
    await broker.submit(stop);
    expect(posts()[2]?.body).toMatchObject({ type: 'stop', stop_price: '210', qty: '1' });
  });

  it('refuses locally, before any request, without approval or with both quantity and notional', async () => {
    const request = approvedRequest(ACCOUNT, { symbol: 'AAPL', side: 'buy', quantity: '1' });
    await expect(
      broker.submit({ ...request, approval: { ...request.approval, approvalIds: [] } }),
    ).rejects.toBeInstanceOf(MissingApprovalError);
    const both = await failure(broker.submit({ ...request, notional: '100' }));
    expect(both).toBeInstanceOf(BrokerRejectedError);
    expect(both.message).toBe(
      `order ${request.clientOrderId} must have exactly one of quantity and notional`,
    );
    expect(fake.requests).toEqual([]);
  });

  it('the fake refuses calls without keys (401) and with wrong ones (403); the adapter surfaces it', async () => {
    const bare = await fetch(`${fake.url}/v2/account`);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toEqual({ code: 40110000, message: 'request is not authorized' });
    const wrong = await failure(make({ secretKey: 'not-the-secret' }).account(ACCOUNT));
    expect(wrong).toBeInstanceOf(BrokerRejectedError);
    expect(wrong.message).toBe('alpaca: forbidden (HTTP 403 on GET /v2/account, code 40310000)');
    expect((wrong as BrokerRejectedError).code).toBe('40310000');
  });
});

describe('idempotent submit', () => {
  const request = () => approvedRequest(ACCOUNT, { symbol: 'AAPL', side: 'buy', quantity: '5' });

  it('a second POST answered 422 (client_order_id must be unique) returns the existing order', async () => {
    const r = request();
    const first = await broker.submit(r);
    const second = await broker.submit(r);
    expect(second.brokerOrderId).toBe(first.brokerOrderId);
    expect(posts().map((p) => p.status)).toEqual([200, 422]);
    expect(fake.orders()).toHaveLength(1);
  });

  it('a client order id already used by a different order is a conflict, not a match', async () => {
    const r = request();
    await broker.submit(r);
    const other = await failure(broker.submit({ ...r, symbol: 'MSFT' }));
    expect(other).toBeInstanceOf(BrokerRejectedError);
    expect((other as BrokerRejectedError).code).toBe('client_order_id_conflict');
    expect(other.message).toMatch(/already used by another order \(buy 5 AAPL, id /);
  });

  it('an answer lost after Alpaca took the order: the order is found by client order id', async () => {
    fake.inject('POST', '/v2/orders', 'drop-after-handling');
    const r = request();
    const order = await broker.submit(r);
    expect(order).toMatchObject({ clientOrderId: r.clientOrderId, status: 'accepted' });
    expect(fake.orders()).toHaveLength(1);
    expect(fake.requests.map((x) => `${x.method} ${x.path}`)).toEqual([
      'POST /v2/orders',
      'GET /v2/orders:by_client_order_id',
    ]);
  });

  it('a request lost before Alpaca took it: unavailable, and the retry makes exactly one order', async () => {
    fake.inject('POST', '/v2/orders', 'drop');
    const r = request();
    const lost = await failure(broker.submit(r));
    expect(lost).toBeInstanceOf(BrokerUnavailableError);
    expect(lost.message).toMatch(
      /^alpaca: POST \/v2\/orders failed: .*; Alpaca has no order cs-.* yet; retry with the same client order id$/,
    );
    await broker.submit(r);
    await broker.submit(r);
    expect(fake.orders()).toHaveLength(1);
  });

  it('5xx and 429 are unavailable; a 5xx after the order was taken still returns it', async () => {
    fake.inject('POST', '/v2/orders', {
      status: 503,
      body: { code: 50300000, message: 'service unavailable' },
    });
    const r = request();
    const down = await failure(broker.submit(r));
    expect(down).toBeInstanceOf(BrokerUnavailableError);
    expect(down.message).toMatch(
      /^alpaca: service unavailable \(HTTP 503 on POST \/v2\/orders, code 50300000\)/,
    );
    fake.inject('GET', '/v2/account', { status: 429, body: { message: 'rate limit exceeded' } });
    await expect(broker.account(ACCOUNT)).rejects.toBeInstanceOf(BrokerUnavailableError);
    await broker.submit(r);
    fake.inject('POST', '/v2/orders', { status: 500, body: { message: 'internal error' } });
    expect((await broker.submit(r)).clientOrderId).toBe(r.clientOrderId);
    expect(fake.orders()).toHaveLength(1);
  });

  it('a POST that never answers times out as unavailable', async () => {
    const quick = make({ timeoutMs: 300 });
    fake.inject('POST', '/v2/orders', 'hang');
    const started = Date.now();
    const timedOut = await failure(quick.submit(request()));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(timedOut).toBeInstanceOf(BrokerUnavailableError);
    expect(timedOut.message).toMatch(
      /^alpaca: POST \/v2\/orders failed: no answer within 300 ms; Alpaca has no order/,
    );
    fake.inject('GET', '/v2/positions', 'hang');
    await expect(quick.positions(ACCOUNT)).rejects.toThrow(
      'alpaca: GET /v2/positions failed: no answer within 300 ms',
    );
  });

  it('a server that is gone is unavailable', async () => {
    await fake.close();
    const gone = await failure(broker.getOrder(ACCOUNT, 'cs-x-1'));
    expect(gone).toBeInstanceOf(BrokerUnavailableError);
    expect(gone.message).toMatch(/ECONNREFUSED/);
    fake = await startFakeAlpaca();
  });
});

describe("Alpaca's refusals", () => {
  it('surface with its message and code', async () => {
    const unknown = await failure(
      broker.submit(approvedRequest(ACCOUNT, { symbol: 'ZZZZ', side: 'buy', quantity: '1' })),
    );
    expect(unknown).toBeInstanceOf(BrokerRejectedError);
    expect(unknown.message).toBe(
      'alpaca: asset "ZZZZ" not found (HTTP 422 on POST /v2/orders, code 40010001)',
    );
    const noShares = await failure(
      broker.submit(approvedRequest(ACCOUNT, { symbol: 'AAPL', side: 'sell', quantity: '3' })),
    );
    expect(noShares.message).toBe(
      'alpaca: insufficient qty available for order (requested: 3, available: 0) (HTTP 403 on POST /v2/orders, code 40310000)',
    );
    expect((noShares as BrokerRejectedError).code).toBe('40310000');
  });

  it('a malformed answer is not trusted', async () => {
    fake.inject('GET', '/v2/account', { status: 200, body: { cash: 'lots' } });
    const odd = await failure(broker.account(ACCOUNT));
    expect(odd).toBeInstanceOf(BrokerUnavailableError);
    expect(odd.message).toMatch(/^alpaca: unexpected account in the answer: /);
  });
});

describe('order life cycle', () => {
  it('partial fills: status, average price, and one fill per execution', async () => {
    const r = approvedRequest(ACCOUNT, { symbol: 'AAPL', side: 'buy', quantity: '10' });
    await broker.submit(r);
    fake.fill(r.clientOrderId, { qty: '4', price: '200' });
    expect(await broker.getOrder(ACCOUNT, r.clientOrderId)).toMatchObject({
      status: 'partially_filled',
      filledQuantity: '4',
      avgFillPrice: '200',
    });
    fake.fill(r.clientOrderId, { price: '201' });
    expect(await broker.getOrder(ACCOUNT, r.clientOrderId)).toMatchObject({
      status: 'filled',
      filledQuantity: '10',
      avgFillPrice: '200.6',
    });
    const { fills } = await broker.fillsSince(ACCOUNT);
    expect(fills.map((f) => [f.quantity, f.price, f.commission, f.clientOrderId])).toEqual([
      ['4', '200', '0', r.clientOrderId],
      ['6', '201', '0', r.clientOrderId],
    ]);
    expect(await broker.positions(ACCOUNT)).toEqual([
      { symbol: 'AAPL', quantity: '10', avgCost: '200.6', marketValue: '2000' },
    ]);
    expect(await broker.account(ACCOUNT)).toEqual({
      accountId: ACCOUNT,
      currency: 'USD',
      cash: '97994',
      equity: '99994',
      buyingPower: '97994',
    });
  });

  it('cancels a partly filled order, keeping what filled; an order already done is returned as it is', async () => {
    const r = approvedRequest(ACCOUNT, { symbol: 'AAPL', side: 'buy', quantity: '10' });
    await broker.submit(r);
    fake.fill(r.clientOrderId, { qty: '3' });
    expect(await broker.cancel(ACCOUNT, r.clientOrderId)).toMatchObject({
      status: 'cancelled',
      filledQuantity: '3',
      reason: 'alpaca: order canceled',
    });
    const expired = approvedRequest(ACCOUNT, { symbol: 'AAPL', side: 'buy', quantity: '1' });
    await broker.submit(expired);
    fake.setStatus(expired.clientOrderId, 'expired');
    const deletesBefore = fake.requests.filter((x) => x.method === 'DELETE').length;
    expect(await broker.cancel(ACCOUNT, expired.clientOrderId)).toMatchObject({
      status: 'expired',
    });
    expect(fake.requests.filter((x) => x.method === 'DELETE').length).toBe(deletesBefore);
  });

  it("a DELETE Alpaca refuses (422) on a still-working order surfaces Alpaca's reason", async () => {
    const r = approvedRequest(ACCOUNT, {
      symbol: 'AAPL',
      side: 'buy',
      quantity: '1',
      type: 'limit',
      limitPrice: '150',
    });
    await broker.submit(r);
    fake.inject('DELETE', '/v2/orders/', {
      status: 422,
      body: { code: 42210000, message: 'order is not cancelable' },
    });
    const refused = await failure(broker.cancel(ACCOUNT, r.clientOrderId));
    expect(refused).toBeInstanceOf(BrokerRejectedError);
    expect(refused.message).toMatch(
      /^alpaca: order is not cancelable \(HTTP 422 on DELETE \/v2\/orders\/.*, code 42210000\)$/,
    );
  });

  it('reads fills page after page with page_token, naming the client order id of orders it never saw', async () => {
    const r = approvedRequest(ACCOUNT, { symbol: 'AAPL', side: 'buy', quantity: '250' });
    await broker.submit(r);
    for (let i = 0; i < 250; i++) fake.fill(r.clientOrderId, { qty: '1' });
    const fresh = make();
    const { fills, cursor } = await fresh.fillsSince(ACCOUNT);
    expect(fills).toHaveLength(250);
    expect(new Set(fills.map((f) => f.brokerFillId)).size).toBe(250);
    expect(fills.every((f) => f.clientOrderId === r.clientOrderId)).toBe(true);
    const pages = fake.requests.filter((x) => x.path === '/v2/account/activities/FILL');
    expect(
      pages.map((p) => [p.query.direction, p.query.page_size, p.query.page_token === undefined]),
    ).toEqual([
      ['asc', '100', true],
      ['asc', '100', false],
      ['asc', '100', false],
    ]);
    expect(
      fake.requests.filter((x) => x.method === 'GET' && x.path.startsWith('/v2/orders/')),
    ).toHaveLength(1);
    expect(cursor).toBe(fills[249]?.brokerFillId);
    expect(await fresh.fillsSince(ACCOUNT, cursor)).toEqual({ fills: [], cursor });
  });
});
