/**
 * A stand-in for Alpaca's trading API v2 on 127.0.0.1 (random port), for testing the Alpaca
 * adapter over real HTTP. It implements the subset the adapter uses the way Alpaca documents it:
 * key headers checked (401 without them, 403 with wrong ones), POST /v2/orders with its validation,
 * 422 for a client_order_id already used, 403 for missing buying power or shares,
 * GET /v2/orders:by_client_order_id, GET and DELETE /v2/orders/{id}, GET /v2/positions,
 * GET /v2/account, GET /v2/account/activities/FILL (page_size, page_token, direction).
 * Orders never fill on their own: the test fills them (fill), and can inject failures (inject).
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import type { BrokerOrderRequest } from '../../broker/port.js';
import { Dec } from '../../core/decimal.js';

/**
 * A request as orders/ would send it to an adapter that does not share our database (Alpaca):
 * a fresh client order id and an approval proof of the right shape. Market, day unless given.
 */
export function approvedRequest(
  accountId: string,
  spec: Pick<BrokerOrderRequest, 'symbol' | 'side'> & Partial<BrokerOrderRequest>,
): BrokerOrderRequest {
  const proposalId = randomUUID();
  return {
    clientOrderId: `cs-${proposalId}-1`,
    orderId: randomUUID(),
    accountId,
    type: 'market',
    timeInForce: 'day',
    approval: {
      proposalId,
      approvalIds: [randomUUID()],
      orderHash: createHash('sha256').update(proposalId).digest('hex'),
    },
    ...spec,
  };
}

/** One request as the fake saw it (also the unauthorized ones). */
export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** The status the fake answered (undefined when it dropped or held the connection). */
  status?: number;
}

/** What to do with the next matching request instead of (or after) answering it normally. */
export type FakeFault =
  /** Answer with this status and body without handling the request. */
  | { status: number; body?: unknown }
  /** Close the connection without an answer, without handling the request. */
  | 'drop'
  /** Handle the request (e.g. create the order), then close the connection without an answer. */
  | 'drop-after-handling'
  /** Never answer (until the fake closes): for client timeouts. */
  | 'hang';

interface FakeOrder {
  id: string;
  client_order_id: string;
  created_at: string;
  updated_at: string;
  submitted_at: string;
  filled_at: string | null;
  expired_at: string | null;
  canceled_at: string | null;
  failed_at: string | null;
  replaced_at: null;
  replaced_by: null;
  replaces: null;
  asset_id: string;
  symbol: string;
  asset_class: 'us_equity';
  notional: string | null;
  qty: string | null;
  filled_qty: string;
  filled_avg_price: string | null;
  order_class: '';
  order_type: string;
  type: string;
  side: 'buy' | 'sell';
  time_in_force: string;
  limit_price: string | null;
  stop_price: string | null;
  status: string;
  extended_hours: false;
  legs: null;
  trail_percent: null;
  trail_price: null;
  hwm: null;
}

interface FakeActivity {
  id: string;
  activity_type: 'FILL';
  transaction_time: string;
  type: 'fill' | 'partial_fill';
  price: string;
  qty: string;
  side: 'buy' | 'sell';
  symbol: string;
  leaves_qty: string;
  order_id: string;
  cum_qty: string;
  order_status: string;
}

interface FakePosition {
  qty: Dec;
  avgEntry: Dec;
}

/** The running fake. */
export interface FakeAlpaca {
  /** Base URL (http://127.0.0.1:port), what the adapter takes as baseUrl. */
  url: string;
  keyId: string;
  secretKey: string;
  /** Every request received, oldest first. */
  requests: SeenRequest[];
  /** Sets the price orders are checked and filled against (and positions valued at). */
  setPrice(symbol: string, price: string): void;
  /** Sets the account's cash. */
  setCash(cash: string): void;
  /** Fills `qty` (default: all that is left) of the order at `price` (default: the symbol's price). */
  fill(clientOrderId: string, options?: { qty?: string; price?: string }): FakeActivity;
  /** Puts an order into a status directly (e.g. expired, rejected, pending_cancel). */
  setStatus(clientOrderId: string, status: string): void;
  /** The orders the fake holds, oldest first. */
  orders(): FakeOrder[];
  /** The next request matching `method` and `path` (a prefix) meets `fault`. */
  inject(method: string, path: string, fault: FakeFault): void;
  close(): Promise<void>;
}

const TIME_IN_FORCE = ['day', 'gtc', 'opg', 'cls', 'ioc', 'fok'];
const TYPES = ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'];
const OPEN = new Set([
  'new',
  'accepted',
  'pending_new',
  'accepted_for_bidding',
  'partially_filled',
  'pending_cancel',
  'pending_replace',
  'calculated',
  'stopped',
  'suspended',
  'held',
  'done_for_day',
]);
const DECIMAL = /^\d+(\.\d+)?$/;

/** Starts a fake Alpaca with these keys (defaults given), cash (default 100000) and prices. */
export async function startFakeAlpaca(
  options: {
    keyId?: string;
    secretKey?: string;
    cash?: string;
    prices?: Record<string, string>;
  } = {},
): Promise<FakeAlpaca> {
  const keyId = options.keyId ?? 'PKTESTKEY0001';
  const secretKey = options.secretKey ?? 'test-secret-key-0001';
  const accountId = randomUUID();
  let cash = new Dec(options.cash ?? '100000');
  const prices = new Map(Object.entries(options.prices ?? {}).map(([s, p]) => [s, new Dec(p)]));
  const orders: FakeOrder[] = [];
  const activities: FakeActivity[] = [];
  const positions = new Map<string, FakePosition>();
  const requests: SeenRequest[] = [];
  const faults: { method: string; path: string; fault: FakeFault }[] = [];
  const sockets = new Set<net.Socket>();
  let clock = Date.now();

  // Strictly increasing times, so activity ids (which begin with the time) sort in order.
  const tick = () => {
    clock = Math.max(clock + 1, Date.now());
    return new Date(clock);
  };
  const activityId = (at: Date) => {
    const stamp = at.toISOString().replace(/[-:TZ.]/g, '');
    return `${stamp}::${randomUUID()}`;
  };
  const str = (d: Dec) => (d.isZero() ? '0' : d.toFixed());
  const byClientId = (id: string) => orders.find((o) => o.client_order_id === id);
  const isOpen = (order: FakeOrder) => OPEN.has(order.status);
  const leaves = (order: FakeOrder) => new Dec(order.qty ?? '0').minus(order.filled_qty);

  const marketValue = (symbol: string, position: FakePosition) =>
    position.qty.times(prices.get(symbol) ?? position.avgEntry);

  function accountBody() {
    let long = new Dec(0);
    let short = new Dec(0);
    for (const [symbol, position] of positions) {
      const value = marketValue(symbol, position);
      if (value.isNegative()) short = short.plus(value);
      else long = long.plus(value);
    }
    const equity = cash.plus(long).plus(short);
    return {
      id: accountId,
      account_number: 'PA0000TEST',
      status: 'ACTIVE',
      crypto_status: 'INACTIVE',
      currency: 'USD',
      buying_power: str(buyingPower()),
      regt_buying_power: str(buyingPower()),
      non_marginable_buying_power: str(buyingPower()),
      cash: str(cash),
      portfolio_value: str(equity),
      equity: str(equity),
      last_equity: str(equity),
      long_market_value: str(long),
      short_market_value: str(short),
      pattern_day_trader: false,
      trading_blocked: false,
      transfers_blocked: false,
      account_blocked: false,
      shorting_enabled: false,
      multiplier: '1',
      created_at: '2026-01-01T00:00:00Z',
    };
  }

  // A cash account: buying power is cash less what open buy orders may cost.
  function buyingPower(): Dec {
    let reserved = new Dec(0);
    for (const order of orders) {
      if (order.side !== 'buy' || !isOpen(order)) continue;
      const price = new Dec(order.limit_price ?? prices.get(order.symbol) ?? 0);
      reserved = reserved.plus(
        order.notional !== null
          ? new Dec(order.notional).minus(
              new Dec(order.filled_qty).times(order.filled_avg_price ?? 0),
            )
          : leaves(order).times(price),
      );
    }
    return cash.minus(reserved);
  }

  function positionBody(symbol: string, position: FakePosition) {
    const price = prices.get(symbol) ?? position.avgEntry;
    const value = position.qty.times(price);
    const cost = position.qty.times(position.avgEntry);
    return {
      asset_id: randomUUID(),
      symbol,
      exchange: 'NASDAQ',
      asset_class: 'us_equity',
      avg_entry_price: str(position.avgEntry),
      qty: str(position.qty),
      qty_available: str(position.qty),
      side: position.qty.isNegative() ? 'short' : 'long',
      market_value: str(value),
      cost_basis: str(cost),
      unrealized_pl: str(value.minus(cost)),
      current_price: str(price),
    };
  }

  type Answer = { status: number; body?: unknown };
  const error = (status: number, code: number, message: string): Answer => ({
    status,
    body: { code, message },
  });

  function createOrder(body: unknown): Answer {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return error(422, 40010001, 'request body format is invalid');
    const b = body as Record<string, unknown>;
    const text = (name: string) => (typeof b[name] === 'string' ? (b[name] as string) : undefined);
    const symbol = text('symbol');
    const side = text('side');
    const type = text('type');
    const tif = text('time_in_force');
    const qty = text('qty');
    const notional = text('notional');
    const limit = text('limit_price');
    const stop = text('stop_price');
    const clientOrderId = text('client_order_id') ?? randomUUID();
    if (!symbol) return error(422, 40010001, 'symbol is required');
    if (side !== 'buy' && side !== 'sell') return error(422, 40010001, 'invalid side');
    if (!type || !TYPES.includes(type)) return error(422, 40010001, 'invalid order type');
    if (!tif || !TIME_IN_FORCE.includes(tif)) return error(422, 40010001, 'invalid time_in_force');
    if ((qty === undefined) === (notional === undefined))
      return error(422, 40010001, 'qty or notional is required, not both');
    for (const [name, value] of [
      ['qty', qty],
      ['notional', notional],
      ['limit_price', limit],
      ['stop_price', stop],
    ] as const)
      if (value !== undefined && (!DECIMAL.test(value) || new Dec(value).lte(0)))
        return error(422, 40010001, `invalid ${name}`);
    if ((type === 'limit' || type === 'stop_limit') && !limit)
      return error(422, 40010001, 'limit_price is required for limit orders');
    if ((type === 'stop' || type === 'stop_limit') && !stop)
      return error(422, 40010001, 'stop_price is required for stop orders');
    if (notional !== undefined && (type !== 'market' || tif !== 'day'))
      return error(
        422,
        40010001,
        'notional orders only work with market orders and day time in force',
      );
    if (clientOrderId.length > 128)
      return error(422, 40010001, 'client_order_id must be no more than 128 characters');
    if (byClientId(clientOrderId)) return error(422, 40010001, 'client_order_id must be unique');
    const price = prices.get(symbol);
    if (!price) return error(422, 40010001, `asset "${symbol}" not found`);
    if (side === 'buy') {
      const cost =
        notional !== undefined ? new Dec(notional) : new Dec(qty as string).times(limit ?? price);
      if (cost.gt(buyingPower())) return error(403, 40310000, 'insufficient buying power');
    } else {
      const held = positions.get(symbol)?.qty ?? new Dec(0);
      const promised = orders
        .filter((o) => o.symbol === symbol && o.side === 'sell' && isOpen(o))
        .reduce((sum, o) => sum.plus(leaves(o)), new Dec(0));
      const wanted = qty !== undefined ? new Dec(qty) : new Dec(notional as string).div(price);
      const available = Dec.max(held.minus(promised), 0);
      if (wanted.gt(available))
        return error(
          403,
          40310000,
          `insufficient qty available for order (requested: ${str(wanted)}, available: ${str(available)})`,
        );
    }
    const now = tick().toISOString();
    const order: FakeOrder = {
      id: randomUUID(),
      client_order_id: clientOrderId,
      created_at: now,
      updated_at: now,
      submitted_at: now,
      filled_at: null,
      expired_at: null,
      canceled_at: null,
      failed_at: null,
      replaced_at: null,
      replaced_by: null,
      replaces: null,
      asset_id: randomUUID(),
      symbol,
      asset_class: 'us_equity',
      notional: notional ?? null,
      qty: qty ?? null,
      filled_qty: '0',
      filled_avg_price: null,
      order_class: '',
      order_type: type,
      type,
      side,
      time_in_force: tif,
      limit_price: limit ?? null,
      stop_price: stop ?? null,
      status: 'accepted',
      extended_hours: false,
      legs: null,
      trail_percent: null,
      trail_price: null,
      hwm: null,
    };
    orders.push(order);
    return { status: 200, body: order };
  }

  function cancelOrder(id: string): Answer {
    const order = orders.find((o) => o.id === id);
    if (!order) return error(404, 40410000, 'order not found');
    if (!isOpen(order)) return error(422, 42210000, `order is already in "${order.status}" state`);
    const now = tick().toISOString();
    order.status = 'canceled';
    order.canceled_at = now;
    order.updated_at = now;
    return { status: 204 };
  }

  function listActivities(query: Record<string, string>): Answer {
    const direction = query.direction ?? 'desc';
    if (direction !== 'asc' && direction !== 'desc')
      return error(422, 40010001, 'direction must be asc or desc');
    const pageSize = query.page_size === undefined ? 100 : Number(query.page_size);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
      return error(422, 40010001, 'page_size must be between 1 and 100');
    let list = direction === 'asc' ? [...activities] : [...activities].reverse();
    if (query.page_token) {
      const at = list.findIndex((a) => a.id === query.page_token);
      if (at < 0) return error(422, 40010001, 'invalid page_token');
      list = list.slice(at + 1);
    }
    return { status: 200, body: list.slice(0, pageSize) };
  }

  function route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
  ): Answer {
    if (method === 'POST' && path === '/v2/orders') return createOrder(body);
    if (method === 'GET' && path === '/v2/orders:by_client_order_id') {
      if (!query.client_order_id) return error(422, 40010001, 'client_order_id is required');
      const order = byClientId(query.client_order_id);
      return order ? { status: 200, body: order } : error(404, 40410000, 'order not found');
    }
    const one = /^\/v2\/orders\/([^/]+)$/.exec(path);
    if (one) {
      const id = decodeURIComponent(one[1] as string);
      if (method === 'DELETE') return cancelOrder(id);
      if (method === 'GET') {
        const order = orders.find((o) => o.id === id);
        return order ? { status: 200, body: order } : error(404, 40410000, 'order not found');
      }
    }
    if (method === 'GET' && path === '/v2/positions')
      return {
        status: 200,
        body: [...positions]
          .filter(([, p]) => !p.qty.isZero())
          .map(([symbol, p]) => positionBody(symbol, p)),
      };
    if (method === 'GET' && path === '/v2/account') return { status: 200, body: accountBody() };
    if (method === 'GET' && path === '/v2/account/activities/FILL') return listActivities(query);
    return error(404, 40410000, 'endpoint not found');
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      const path = url.pathname;
      const query = Object.fromEntries(url.searchParams);
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw === '' ? undefined : raw;
      try {
        if (raw !== '') body = JSON.parse(raw);
      } catch {
        // kept as text; createOrder says the format is invalid
      }
      const seen: SeenRequest = { method, path, query, body };
      requests.push(seen);
      const send = (answer: Answer) => {
        seen.status = answer.status;
        if (answer.body === undefined) {
          res.writeHead(answer.status).end();
          return;
        }
        res.writeHead(answer.status, { 'Content-Type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify(answer.body));
      };

      const key = req.headers['apca-api-key-id'];
      const secret = req.headers['apca-api-secret-key'];
      if (!key || !secret) return send(error(401, 40110000, 'request is not authorized'));
      if (key !== keyId || secret !== secretKey) return send(error(403, 40310000, 'forbidden'));

      const at = faults.findIndex((f) => f.method === method && path.startsWith(f.path));
      const fault = at >= 0 ? faults.splice(at, 1)[0]?.fault : undefined;
      if (fault === 'hang') return;
      if (fault === 'drop') return req.socket.destroy();
      if (fault && typeof fault === 'object') return send(fault);
      const answer = route(method, path, query, body);
      if (fault === 'drop-after-handling') return req.socket.destroy();
      send(answer);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    keyId,
    secretKey,
    requests,
    setPrice(symbol, price) {
      prices.set(symbol, new Dec(price));
    },
    setCash(value) {
      cash = new Dec(value);
    },
    fill(clientOrderId, fillOptions = {}) {
      const order = byClientId(clientOrderId);
      if (!order) throw new Error(`fake alpaca: no order ${clientOrderId}`);
      if (!isOpen(order)) throw new Error(`fake alpaca: order ${clientOrderId} is ${order.status}`);
      const price = new Dec(fillOptions.price ?? prices.get(order.symbol) ?? 0);
      if (price.lte(0)) throw new Error(`fake alpaca: no price for ${order.symbol}`);
      const rest =
        order.qty !== null
          ? leaves(order)
          : new Dec(order.notional as string)
              .minus(new Dec(order.filled_qty).times(order.filled_avg_price ?? 0))
              .div(price)
              .toDecimalPlaces(9, Dec.ROUND_DOWN);
      const qty = fillOptions.qty ? new Dec(fillOptions.qty) : rest;
      if (qty.lte(0) || qty.gt(rest))
        throw new Error(
          `fake alpaca: cannot fill ${str(qty)} of ${clientOrderId} (${str(rest)} left)`,
        );
      const filledBefore = new Dec(order.filled_qty);
      const filled = filledBefore.plus(qty);
      const avg = filledBefore
        .times(order.filled_avg_price ?? 0)
        .plus(qty.times(price))
        .div(filled);
      const at = tick();
      const complete = order.qty !== null ? filled.eq(order.qty) : !fillOptions.qty;
      order.filled_qty = str(filled);
      order.filled_avg_price = str(avg.toDecimalPlaces(6));
      order.status = complete ? 'filled' : 'partially_filled';
      order.updated_at = at.toISOString();
      if (complete) order.filled_at = at.toISOString();

      const signed = order.side === 'buy' ? qty : qty.neg();
      const position = positions.get(order.symbol) ?? { qty: new Dec(0), avgEntry: new Dec(0) };
      const next = position.qty.plus(signed);
      const adds = position.qty.isZero() || position.qty.isNegative() === signed.isNegative();
      positions.set(order.symbol, {
        qty: next,
        avgEntry: next.isZero()
          ? new Dec(0)
          : adds
            ? position.qty.abs().times(position.avgEntry).plus(qty.times(price)).div(next.abs())
            : position.avgEntry,
      });
      cash = order.side === 'buy' ? cash.minus(qty.times(price)) : cash.plus(qty.times(price));

      const activity: FakeActivity = {
        id: activityId(at),
        activity_type: 'FILL',
        transaction_time: at.toISOString(),
        type: complete ? 'fill' : 'partial_fill',
        price: str(price),
        qty: str(qty),
        side: order.side,
        symbol: order.symbol,
        leaves_qty: order.qty !== null ? str(leaves(order)) : '0',
        order_id: order.id,
        cum_qty: str(filled),
        order_status: order.status,
      };
      activities.push(activity);
      return activity;
    },
    setStatus(clientOrderId, status) {
      const order = byClientId(clientOrderId);
      if (!order) throw new Error(`fake alpaca: no order ${clientOrderId}`);
      order.status = status;
      order.updated_at = tick().toISOString();
    },
    orders: () => [...orders],
    inject(method, path, fault) {
      faults.push({ method, path, fault });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
