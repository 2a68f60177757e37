/**
 * Reading a RiskContext: every field a rule uses is checked here (a bad one throws RiskInputError
 * naming it), and the figures several rules share — the execution price, the resulting position,
 * whether the order reduces it — are computed once, in exact decimals.
 */
import { Dec } from '../decimal.js';
import { describeValue, RiskInputError } from './errors.js';
import { formatPrice, formatQuantity, formatUsd } from './format.js';
import { newYorkInstant } from './market-calendar.js';
import type {
  OrderSide,
  OrderType,
  RecentOrder,
  RiskContext,
  RiskOrder,
  TimeInForce,
} from './types.js';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const SIDES: readonly OrderSide[] = ['buy', 'sell'];
const TYPES: readonly OrderType[] = ['market', 'limit', 'stop'];
const TIMES_IN_FORCE: readonly TimeInForce[] = ['day', 'gtc', 'ioc', 'fok', 'opg', 'cls'];

function fail(field: string, expected: string, value: unknown): never {
  throw new RiskInputError(field, `${field} must be ${expected}, got ${describeValue(value)}`);
}

function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

/** A finite number as Dec, or RiskInputError. */
export function finiteNumber(field: string, value: unknown): Dec {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, 'a finite number', value);
  return new Dec(value);
}

/** A finite number > 0 as Dec, or RiskInputError. */
export function positiveNumber(field: string, value: unknown): Dec {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(field, 'a finite number > 0', value);
  }
  return new Dec(value);
}

function nonNegativeNumber(field: string, value: unknown): Dec {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(field, 'a finite number ≥ 0', value);
  }
  return new Dec(value);
}

function text(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') fail(field, 'a non-blank string', value);
  return value.trim();
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(field, allowed.map((option) => `'${option}'`).join(' or '), value);
  }
  return value as T;
}

/** True when `text` starts with a real calendar date (Date.parse accepts 2026-02-30). */
function realDate(text: string): boolean {
  const [year = 0, month = 0, day = 0] = text.slice(0, 10).split('-').map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** An ISO date-time with an explicit zone, as ms since the epoch, or RiskInputError. */
export function isoInstant(field: string, value: unknown): number {
  const ms =
    typeof value === 'string' && ISO_INSTANT.test(value) && realDate(value)
      ? Date.parse(value)
      : Number.NaN;
  if (!Number.isFinite(ms)) {
    fail(field, 'an ISO date-time with a zone (e.g. 2026-03-09T14:00:00Z)', value);
  }
  return ms;
}

/** A symbol as compared everywhere: trimmed and upper-case. */
export function symbolKey(symbol: string): string {
  return symbol.trim().toUpperCase();
}

/** The order's price fields, checked against its type as `proposal_legs` does. */
interface OrderPrices {
  limitPrice: Dec | undefined;
  stopPrice: Dec | undefined;
}

function orderPrices(prefix: string, order: Partial<RiskOrder | RecentOrder>, type: OrderType) {
  const prices: OrderPrices = { limitPrice: undefined, stopPrice: undefined };
  if (type === 'limit')
    prices.limitPrice = positiveNumber(`${prefix}.limitPrice`, order.limitPrice);
  else if (!isAbsent(order.limitPrice)) {
    fail(`${prefix}.limitPrice`, `absent for a ${type} order`, order.limitPrice);
  }
  if (type === 'stop') prices.stopPrice = positiveNumber(`${prefix}.stopPrice`, order.stopPrice);
  else if (!isAbsent(order.stopPrice)) {
    fail(`${prefix}.stopPrice`, `absent for a ${type} order`, order.stopPrice);
  }
  return prices;
}

/** Exactly one of quantity and notional, > 0 and finite. */
function orderSize(prefix: string, order: Partial<RiskOrder | RecentOrder>) {
  const hasQuantity = !isAbsent(order.quantity);
  const hasNotional = !isAbsent(order.notional);
  if (hasQuantity === hasNotional) {
    const both = `${describeValue(order.quantity)} and ${describeValue(order.notional)}`;
    throw new RiskInputError(
      `${prefix}.quantity`,
      `${prefix} must have exactly one of quantity and notional, got ${both}`,
    );
  }
  return {
    quantity: hasQuantity ? positiveNumber(`${prefix}.quantity`, order.quantity) : undefined,
    notional: hasNotional ? positiveNumber(`${prefix}.notional`, order.notional) : undefined,
  };
}

/** The checked order, with decimals and an upper-case symbol. */
export interface OrderView extends OrderPrices {
  id: string | undefined;
  account: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  /** Shares, when the order is sized in shares. */
  quantity: Dec | undefined;
  /** USD, when the order is sized in dollars. */
  notional: Dec | undefined;
}

function objectAt(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(field, 'an object', value);
  }
  return value as Record<string, unknown>;
}

/** Checks `context.order`. */
export function readOrder(context: RiskContext): OrderView {
  const order = objectAt('order', context.order) as Partial<RiskOrder>;
  const type = oneOf('order.type', order.type, TYPES);
  const timeInForce = isAbsent(order.timeInForce)
    ? 'day'
    : oneOf('order.timeInForce', order.timeInForce, TIMES_IN_FORCE);
  return {
    id: isAbsent(order.id) ? undefined : String(order.id),
    account: text('order.account', order.account),
    symbol: symbolKey(text('order.symbol', order.symbol)),
    side: oneOf('order.side', order.side, SIDES),
    type,
    timeInForce,
    ...orderSize('order', order),
    ...orderPrices('order', order, type),
  };
}

/** A held position in decimals. */
export interface PositionView {
  quantity: Dec;
  price: Dec;
}

/** The checked account. */
export interface AccountView {
  equity: Dec;
  cash: Dec;
  startOfDayEquity: Dec;
  /** By upper-case symbol. */
  positions: Map<string, PositionView>;
  allowShort: boolean;
  /** Shares promised to working sell orders, by upper-case symbol. */
  openSells: Map<string, Dec>;
}

/** Checks `context.account`. */
export function readAccount(context: RiskContext): AccountView {
  const account = objectAt('account', context.account);
  const positions = new Map<string, PositionView>();
  const raw = objectAt('account.positions', account.positions);
  for (const [symbol, value] of Object.entries(raw)) {
    const field = `account.positions.${symbol}`;
    const position = objectAt(field, value);
    const key = symbolKey(symbol);
    if (positions.has(key)) fail(field, `the only position in ${key}`, symbol);
    positions.set(key, {
      quantity: finiteNumber(`${field}.quantity`, position.quantity),
      price: positiveNumber(`${field}.price`, position.price),
    });
  }
  if (account.allowShort !== undefined && typeof account.allowShort !== 'boolean')
    fail('account.allowShort', 'true or false', account.allowShort);
  const openSells = new Map<string, Dec>();
  if (account.openSells !== undefined)
    for (const [symbol, value] of Object.entries(objectAt('account.openSells', account.openSells)))
      openSells.set(symbolKey(symbol), finiteNumber(`account.openSells.${symbol}`, value));
  return {
    equity: positiveNumber('account.equity', account.equity),
    cash: finiteNumber('account.cash', account.cash),
    startOfDayEquity: positiveNumber('account.startOfDayEquity', account.startOfDayEquity),
    positions,
    allowShort: account.allowShort === true,
    openSells,
  };
}

/** `context.now` in ms since the epoch. */
export function readNow(context: RiskContext): number {
  return isoInstant('now', context.now);
}

/** The checked last price; `asOf` in ms (a plain date counts as 16:00 New York that day). */
export interface LastPriceView {
  price: Dec;
  asOfMs: number;
  asOf: string;
}

/** Checks `context.lastPrice`; throws RiskInputError when it is missing, naming what needs it. */
export function readLastPrice(context: RiskContext, neededFor: string): LastPriceView {
  if (isAbsent(context.lastPrice)) {
    throw new RiskInputError(
      'lastPrice',
      `lastPrice is required ${neededFor}, got ${describeValue(context.lastPrice)}`,
    );
  }
  const last = objectAt('lastPrice', context.lastPrice);
  const price = positiveNumber('lastPrice.price', last.price);
  const asOf = last.asOf;
  if (typeof asOf === 'string' && ISO_DATE.test(asOf) && realDate(asOf)) {
    return { price, asOfMs: newYorkInstant(asOf, 16, 0), asOf };
  }
  if (typeof asOf !== 'string' || !ISO_INSTANT.test(asOf) || !realDate(asOf)) {
    const expected = 'an ISO date (2026-03-06) or date-time with a zone (2026-03-09T14:00:00Z)';
    fail('lastPrice.asOf', expected, asOf);
  }
  return { price, asOfMs: Date.parse(asOf), asOf };
}

/** The estimated commission in USD (0 when missing). */
export function readCommission(context: RiskContext): Dec {
  if (isAbsent(context.estimatedCommission)) return new Dec(0);
  return nonNegativeNumber('estimatedCommission', context.estimatedCommission);
}

/** Known sectors by upper-case symbol; missing, null and blank entries are left out (unknown). */
export function readSectors(context: RiskContext): Map<string, string> {
  const sectors = new Map<string, string>();
  for (const [symbol, value] of Object.entries(objectAt('sectors', context.sectors))) {
    if (isAbsent(value)) continue;
    if (typeof value !== 'string') fail(`sectors.${symbol}`, 'a string or null', value);
    if (value.trim() !== '') sectors.set(symbolKey(symbol), value.trim());
  }
  return sectors;
}

/** A recent order, checked. */
export interface RecentOrderView extends OrderPrices {
  id: string | undefined;
  account: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  quantity: Dec | undefined;
  notional: Dec | undefined;
  atMs: number;
}

/** Checks `context.recentOrders`. */
export function readRecentOrders(context: RiskContext): RecentOrderView[] {
  if (!Array.isArray(context.recentOrders)) {
    fail('recentOrders', 'an array', context.recentOrders);
  }
  return context.recentOrders.map((value, index) => {
    const prefix = `recentOrders[${index}]`;
    const entry = objectAt(prefix, value) as Partial<RecentOrder>;
    const type = oneOf(`${prefix}.type`, entry.type, TYPES);
    return {
      id: isAbsent(entry.id) ? undefined : String(entry.id),
      account: text(`${prefix}.account`, entry.account),
      symbol: symbolKey(text(`${prefix}.symbol`, entry.symbol)),
      side: oneOf(`${prefix}.side`, entry.side, SIDES),
      type,
      ...orderSize(prefix, entry),
      ...orderPrices(prefix, entry, type),
      atMs: isoInstant(`${prefix}.at`, entry.at),
    };
  });
}

/** The price an order is expected to execute at, and what that price is. */
export interface ExecutionPrice {
  price: Dec;
  /** 'limit price', 'stop price' or 'last price'. */
  basis: string;
}

/** Limit price for a limit order, stop price for a stop order, the last price for a market order. */
export function executionPrice(context: RiskContext, order: OrderView): ExecutionPrice {
  if (order.limitPrice !== undefined) return { price: order.limitPrice, basis: 'limit price' };
  if (order.stopPrice !== undefined) return { price: order.stopPrice, basis: 'stop price' };
  const needed = `to price a market order in ${order.symbol}`;
  return { price: readLastPrice(context, needed).price, basis: 'last price' };
}

/** The figures shared by the position, notional, cash, loss and sector rules. */
export interface OrderFigures {
  order: OrderView;
  account: AccountView;
  execution: ExecutionPrice;
  /** Shares traded (> 0): the quantity, or notional ÷ execution price. */
  quantity: Dec;
  /** USD traded: the notional, or quantity × execution price. */
  notional: Dec;
  /** Shares held before (signed). */
  held: Dec;
  /** Shares held after (signed): negative means short. */
  resulting: Dec;
  /** True when the order shrinks an existing position without flipping its sign. */
  reduces: boolean;
  commission: Dec;
  /** Equity less the estimated commission: the trade itself swaps cash for stock at its value. */
  equityAfter: Dec;
}

/** Reads the context and computes the figures most rules share. */
export function orderFigures(context: RiskContext): OrderFigures {
  const order = readOrder(context);
  const account = readAccount(context);
  const commission = readCommission(context);
  const execution = executionPrice(context, order);
  const quantity = order.quantity ?? (order.notional as Dec).dividedBy(execution.price);
  const notional = order.notional ?? quantity.times(execution.price);
  const held = account.positions.get(order.symbol)?.quantity ?? new Dec(0);
  const resulting = order.side === 'buy' ? held.plus(quantity) : held.minus(quantity);
  const reduces =
    !held.isZero() &&
    resulting.abs().lt(held.abs()) &&
    (resulting.isZero() || resulting.isNeg() === held.isNeg());
  const equityAfter = account.equity.minus(commission);
  if (equityAfter.lte(0)) {
    fail(
      'estimatedCommission',
      `less than account.equity ${account.equity}`,
      commission.toNumber(),
    );
  }
  return {
    order,
    account,
    execution,
    quantity,
    notional,
    held,
    resulting,
    reduces,
    commission,
    equityAfter,
  };
}

/** An order for messages: `buy 100 AAPL limit $150.00`, `sell $5,000.00 of MSFT market`. */
export function describeOrder(order: Omit<RecentOrderView, 'id' | 'account' | 'atMs'>): string {
  const size =
    order.quantity !== undefined
      ? `${formatQuantity(order.quantity)} ${order.symbol}`
      : `${formatUsd(order.notional ?? 0)} of ${order.symbol}`;
  const price =
    order.limitPrice !== undefined
      ? ` limit ${formatPrice(order.limitPrice)}`
      : order.stopPrice !== undefined
        ? ` stop ${formatPrice(order.stopPrice)}`
        : ' market';
  return `${order.side} ${size}${price}`;
}
