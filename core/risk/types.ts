/**
 * The shapes the pre-trade risk rules read and write. Everything is flat and JSON-friendly:
 * numbers for money, prices and quantities (callers convert PostgreSQL NUMERIC text with
 * `Number()`; the rules do their arithmetic in decimal.js, so boundaries are exact), ISO strings
 * for instants. Optional fields accept `null` as well as a missing key, as JSON from the database
 * has them.
 */

/** Buy or sell, as in `proposal_legs.side`. */
export type OrderSide = 'buy' | 'sell';

/** Market, limit or stop, as in `proposal_legs.type` (there is no stop-limit order). */
export type OrderType = 'market' | 'limit' | 'stop';

/** Time in force, as in `proposal_legs.time_in_force`. */
export type TimeInForce = 'day' | 'gtc' | 'ioc' | 'fok' | 'opg' | 'cls';

/**
 * The order under check: one proposal leg. Exactly one of `quantity` (shares) and `notional`
 * (USD) is set; a limit order has `limitPrice` and nothing else, a stop order has `stopPrice` and
 * nothing else, a market order has neither — the same constraints as `proposal_legs`.
 */
export interface RiskOrder {
  /** The proposal's id, when it has one: a recent order with the same id is this order itself. */
  id?: string | null;
  /** The account id (`accounts.id`). */
  account: string;
  /** The instrument's symbol; compared case-insensitively everywhere. */
  symbol: string;
  side: OrderSide;
  /** Shares, > 0 (fractional when the account allows it). */
  quantity?: number | null;
  /** Dollar amount, > 0, for a notional order. */
  notional?: number | null;
  type: OrderType;
  /** The limit price of a limit order, > 0. */
  limitPrice?: number | null;
  /** The trigger price of a stop order, > 0. */
  stopPrice?: number | null;
  /** Defaults to 'day', as in the table. */
  timeInForce?: TimeInForce | null;
}

/** A held position: signed quantity (negative when short) and its current mark price. */
export interface RiskPosition {
  /** Shares held; negative for a short position; 0 is allowed. */
  quantity: number;
  /** The price the position is marked at, > 0. */
  price: number;
}

/** The account's state when the rules run. */
export interface RiskAccount {
  /** Current equity (cash + marked positions), > 0. */
  equity: number;
  /** Current cash; negative when the account borrows on margin. */
  cash: number;
  /** Equity at the start of the trading day, > 0: the base of today's P&L. */
  startOfDayEquity: number;
  /** Positions by symbol (keys compared case-insensitively). */
  positions: Record<string, RiskPosition>;
  /**
   * Whether the account may sell shares it does not hold (a margin account whose broker allows
   * it). Absent: false — a sell of more than is held fails the short_sale rule.
   */
  allowShort?: boolean;
  /**
   * Shares already promised to working sell orders, by symbol (not yet filled): a new sell can
   * only use what is held beyond them. Absent: none.
   */
  openSells?: Record<string, number>;
}

/** The latest known price of the order's symbol. */
export interface RiskLastPrice {
  /** The price, > 0. */
  price: number;
  /**
   * When the price was observed: an ISO date-time with a zone (`2026-03-09T15:00:00Z`), or a
   * plain date (`2026-03-06`) for a daily bar, which counts as that day's 16:00 New York close.
   */
  asOf: string;
}

/** An order proposed recently on the account, for the duplicate check. */
export interface RecentOrder {
  /** The proposal's id; an entry with the checked order's id is skipped (it is that order). */
  id?: string | null;
  account: string;
  symbol: string;
  side: OrderSide;
  quantity?: number | null;
  notional?: number | null;
  type: OrderType;
  limitPrice?: number | null;
  stopPrice?: number | null;
  /** When it was proposed: an ISO date-time with a zone. */
  at: string;
}

/** Everything a rule may look at. No rule reads a clock: `now` is given. */
export interface RiskContext {
  /** The current instant: an ISO date-time with a zone, e.g. `2026-03-09T14:00:00Z`. */
  now: string;
  order: RiskOrder;
  account: RiskAccount;
  /** The order symbol's last price; required by every rule that needs a price. */
  lastPrice?: RiskLastPrice | null;
  /** Sector by symbol, from the instruments table; a missing, null or blank entry is unknown. */
  sectors: Record<string, string | null | undefined>;
  /** The account's recent proposals (the caller picks the window and statuses). */
  recentOrders: RecentOrder[];
  /** Estimated commission of this order in USD, ≥ 0; 0 when missing. */
  estimatedCommission?: number | null;
}

/**
 * One rule's verdict, stored as an element of `proposals.risk_results`. `limit` and `value` are
 * the configured limit and the measured figure in the limit's unit (fractions for weights and
 * bands, USD for money, seconds or hours for time), or strings/null where a rule says so.
 */
export interface RiskCheck {
  /** The rule's name, e.g. 'max_order_notional'. */
  rule: string;
  passed: boolean;
  /** A sentence naming the limit and the value, e.g. why it failed or what it checked. */
  message: string;
  limit: number | string | null;
  value: number | string | null;
}

/** Every rule's check, in the order of RULES; `passed` only when every check passed. */
export interface RiskReport {
  passed: boolean;
  checks: RiskCheck[];
}
