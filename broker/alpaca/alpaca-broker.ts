/**
 * The Alpaca adapter: Alpaca's trading REST API v2, only the documented subset the port needs.
 * One adapter instance trades the one Alpaca account its keys belong to; the port's accountId is
 * ours and only echoed back. Idempotency rests on client_order_id, which Alpaca keeps unique.
 */
import { z } from 'zod';
import { toDec } from '../../core/decimal.js';
import {
  type Broker,
  type BrokerFill,
  type BrokerOrder,
  type BrokerOrderRequest,
  BrokerRejectedError,
  BrokerUnavailableError,
  requireApproval,
} from '../port.js';
import { type AlpacaCall, type AlpacaResponse, alpacaHttp, errorFor, isTransient } from './http.js';
import {
  type AlpacaOrder,
  alpacaAccountSchema,
  alpacaFillSchema,
  alpacaOrderSchema,
  alpacaPositionSchema,
  parseAlpaca,
  toBrokerFill,
  toBrokerOrder,
  toBrokerPosition,
} from './mapping.js';

/** Alpaca's live trading endpoint: refused unless `live: true`. */
export const ALPACA_LIVE_URL = 'https://api.alpaca.markets';
/** Alpaca's paper trading endpoint. */
export const ALPACA_PAPER_URL = 'https://paper-api.alpaca.markets';

/** What createAlpacaBroker needs; the config layer maps ALPACA_KEY_ID, ALPACA_SECRET_KEY, ALPACA_BASE_URL and ALPACA_LIVE. */
export interface AlpacaBrokerOptions {
  keyId: string | undefined;
  secretKey: string | undefined;
  /** API root, e.g. https://paper-api.alpaca.markets (a trailing /v2 is accepted). */
  baseUrl: string;
  /** Must be true to use the live endpoint (real money). Default false. */
  live?: boolean;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Deadline of each HTTP call in ms. Default 10000. */
  timeoutMs?: number;
}

/** The Alpaca adapter. */
export interface AlpacaBroker extends Broker {
  readonly name: 'alpaca';
}

// The activities endpoint returns at most 100 per page; one fillsSince call reads up to 10 pages
// and the caller continues from the cursor it gets back.
const PAGE_SIZE = 100;
const MAX_PAGES = 10;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function checkRoot(baseUrl: string, live: boolean): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(
      `alpaca: baseUrl ${JSON.stringify(baseUrl)} is not a URL; use ${ALPACA_PAPER_URL} (paper) or ${ALPACA_LIVE_URL} (live)`,
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
    throw new Error(
      `alpaca: baseUrl ${baseUrl} must be https (plain http only to a loopback test server): the keys travel in its headers`,
    );
  if (url.hostname === new URL(ALPACA_LIVE_URL).hostname && !live)
    throw new Error(
      `alpaca: ${baseUrl} is Alpaca's live endpoint (real money); set ALPACA_LIVE=true to trade live, or use ${ALPACA_PAPER_URL}`,
    );
  return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/v2$/, '')}`;
}

/** Creates the adapter. Throws when a key is missing, or the URL is the live endpoint without `live: true`. */
export function createAlpacaBroker(options: AlpacaBrokerOptions): AlpacaBroker {
  const { keyId, secretKey } = options;
  if (!keyId || !secretKey)
    throw new Error(
      `alpaca: ${!keyId ? 'ALPACA_KEY_ID' : 'ALPACA_SECRET_KEY'} is not set; both the key id and the secret key are needed`,
    );
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new RangeError(`alpaca: timeoutMs must be a positive integer, got ${timeoutMs}`);
  const call: AlpacaCall = alpacaHttp({
    keyId,
    secretKey,
    root: checkRoot(options.baseUrl, options.live === true),
    fetch: options.fetch ?? fetch,
    timeoutMs,
  });
  // Fill activities name Alpaca's order id only; client order ids are remembered as orders are seen.
  const clientIds = new Map<string, string>();

  function ok(method: string, path: string, response: AlpacaResponse): unknown {
    if (response.status >= 200 && response.status < 300) return response.body;
    throw errorFor(method, path, response);
  }

  function remember(order: AlpacaOrder): BrokerOrder {
    clientIds.set(order.id, order.client_order_id);
    return toBrokerOrder(order);
  }

  async function findByClientId(clientOrderId: string): Promise<AlpacaOrder | null> {
    const path = '/v2/orders:by_client_order_id';
    const response = await call('GET', path, { query: { client_order_id: clientOrderId } });
    if (response.status === 404) return null;
    return parseAlpaca(alpacaOrderSchema, ok('GET', path, response), 'order');
  }

  async function clientIdOf(orderId: string): Promise<string> {
    const known = clientIds.get(orderId);
    if (known !== undefined) return known;
    const path = `/v2/orders/${encodeURIComponent(orderId)}`;
    const order = parseAlpaca(alpacaOrderSchema, ok('GET', path, await call('GET', path)), 'order');
    clientIds.set(order.id, order.client_order_id);
    return order.client_order_id;
  }

  /** The order already at Alpaca under this client order id, checked to be this request's order. */
  function sameOrder(request: BrokerOrderRequest, existing: AlpacaOrder): BrokerOrder {
    const differs =
      existing.symbol !== request.symbol ||
      existing.side !== request.side ||
      (request.quantity !== undefined &&
        (existing.qty === null ||
          existing.qty === undefined ||
          !toDec(existing.qty).eq(request.quantity)));
    if (differs)
      throw new BrokerRejectedError(
        `alpaca: client order id ${request.clientOrderId} is already used by another order (${existing.side} ${existing.qty ?? existing.notional} ${existing.symbol}, id ${existing.id})`,
        'client_order_id_conflict',
      );
    return remember(existing);
  }

  /** After an answer we cannot trust (network error, timeout, 5xx): the order may or may not exist. */
  async function recover(
    request: BrokerOrderRequest,
    failure: BrokerUnavailableError,
  ): Promise<BrokerOrder> {
    let existing: AlpacaOrder | null;
    try {
      existing = await findByClientId(request.clientOrderId);
    } catch (error) {
      throw new BrokerUnavailableError(
        `${failure.message}; looking the order up by client order id failed too (${(error as Error).message}); retry with the same client order id`,
        { cause: failure },
      );
    }
    if (existing) return sameOrder(request, existing);
    throw new BrokerUnavailableError(
      `${failure.message}; Alpaca has no order ${request.clientOrderId} yet; retry with the same client order id`,
      { cause: failure },
    );
  }

  function orderBody(request: BrokerOrderRequest): Record<string, string> {
    if ((request.quantity === undefined) === (request.notional === undefined))
      throw new BrokerRejectedError(
        `order ${request.clientOrderId} must have exactly one of quantity and notional`,
        'bad_request',
      );
    const body: Record<string, string> = {
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      time_in_force: request.timeInForce,
      client_order_id: request.clientOrderId,
    };
    if (request.quantity !== undefined) body.qty = request.quantity;
    if (request.notional !== undefined) body.notional = request.notional;
    if (request.limitPrice !== undefined) body.limit_price = request.limitPrice;
    if (request.stopPrice !== undefined) body.stop_price = request.stopPrice;
    return body;
  }

  return {
    name: 'alpaca',

    async submit(request) {
      requireApproval(request);
      const body = orderBody(request);
      let response: AlpacaResponse;
      try {
        response = await call('POST', '/v2/orders', { body });
      } catch (error) {
        if (error instanceof BrokerUnavailableError) return recover(request, error);
        throw error;
      }
      if (response.status >= 200 && response.status < 300)
        return remember(parseAlpaca(alpacaOrderSchema, response.body, 'order'));
      const failure = errorFor('POST', '/v2/orders', response);
      if (isTransient(response.status)) return recover(request, failure as BrokerUnavailableError);
      // 422 is what Alpaca answers to a client_order_id it already has ("client_order_id must be
      // unique"), as well as to other bad input: if the order is there, it is this one.
      if (response.status === 422) {
        const existing = await findByClientId(request.clientOrderId);
        if (existing) return sameOrder(request, existing);
      }
      throw failure;
    },

    async cancel(_accountId, clientOrderId) {
      const order = await findByClientId(clientOrderId);
      if (!order)
        throw new BrokerRejectedError(
          `alpaca has no order with client order id ${clientOrderId}`,
          'unknown_order',
        );
      const before = remember(order);
      if (before.status === 'filled') throw alreadyFilled(clientOrderId, before);
      if (before.status !== 'accepted' && before.status !== 'partially_filled') return before;
      const path = `/v2/orders/${encodeURIComponent(order.id)}`;
      const response = await call('DELETE', path);
      const after = await findByClientId(clientOrderId);
      const current = after ? remember(after) : before;
      if (response.status >= 200 && response.status < 300) return current;
      if (current.status === 'filled') throw alreadyFilled(clientOrderId, current);
      if (
        response.status === 422 &&
        current.status !== 'accepted' &&
        current.status !== 'partially_filled'
      )
        return current;
      throw errorFor('DELETE', path, response);
    },

    async getOrder(_accountId, clientOrderId) {
      const order = await findByClientId(clientOrderId);
      return order ? remember(order) : null;
    },

    async positions() {
      const path = '/v2/positions';
      const body = ok('GET', path, await call('GET', path));
      return parseAlpaca(z.array(alpacaPositionSchema), body, 'position list').map(
        toBrokerPosition,
      );
    },

    async account(accountId) {
      const path = '/v2/account';
      const body = ok('GET', path, await call('GET', path));
      const account = parseAlpaca(alpacaAccountSchema, body, 'account');
      return {
        accountId,
        currency: account.currency,
        cash: account.cash,
        equity: account.equity,
        buyingPower: account.buying_power ?? null,
      };
    },

    async fillsSince(_accountId, cursor) {
      const path = '/v2/account/activities/FILL';
      const fills: BrokerFill[] = [];
      let token = cursor || undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        // direction=asc with page_token: "results will begin with the activity immediately after
        // the one specified" (Alpaca docs), so the last id seen is the cursor.
        const query: Record<string, string> = { direction: 'asc', page_size: String(PAGE_SIZE) };
        if (token) query.page_token = token;
        const body = ok('GET', path, await call('GET', path, { query }));
        const activities = parseAlpaca(z.array(alpacaFillSchema), body, 'fill activity list');
        for (const activity of activities)
          fills.push(toBrokerFill(activity, await clientIdOf(activity.order_id)));
        const last = activities[activities.length - 1];
        if (last) token = last.id;
        if (activities.length < PAGE_SIZE) break;
      }
      return { fills, cursor: token ?? '' };
    },

    async close() {
      // Nothing to release: each call is one fetch.
    },
  };
}

function alreadyFilled(clientOrderId: string, order: BrokerOrder): BrokerRejectedError {
  return new BrokerRejectedError(
    `order ${clientOrderId} is already filled (${order.filledQuantity} at ${order.avgFillPrice ?? '?'}); there is nothing left to cancel`,
    'already_filled',
  );
}
