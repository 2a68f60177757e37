/**
 * The shapes of `plan_rebalance`: a flat, JSON-friendly request (positions, cash, last prices,
 * target weights, options) and the plan it produces. Planning only: placing orders is the job of
 * the orders layer.
 */

/** Estimated trading costs; every field defaults to 0. */
export interface RebalanceCosts {
  /** Commission per share traded, in currency (e.g. 0.005). */
  commissionPerShare?: number;
  /** Commission in basis points of the order's notional (1 bp = 0.01 %). */
  commissionBps?: number;
  /** Least commission charged on any order, in currency. */
  commissionMinimum?: number;
  /** Price impact assumed against the trader, in basis points of notional. */
  slippageBps?: number;
}

/** How to plan; every field is optional and takes the default in `REBALANCE_DEFAULTS`. */
export interface RebalanceOptions {
  /**
   * false (default): whole shares only. true: quantities are rounded down to a millionth of a
   * share (1e-6).
   */
  allowFractional?: boolean;
  /**
   * Relative drift band (default 0.05). A name with target t > 0 and current weight c is traded
   * only when |c − t| / t > driftThreshold (strictly: a drift exactly at the threshold stays put).
   * A name with target 0 that is held at all is always drift. 0 trades every deviation.
   */
  driftThreshold?: number;
  /** Orders whose notional |quantity| × price is below this many currency units are skipped (default 100). */
  minNotional?: number;
  /**
   * Fraction of equity to keep in cash, in [0, 1) (default 0). When the (capped) targets sum to
   * more than 1 − cashBuffer, they are all scaled by (1 − cashBuffer) / Σ targets.
   */
  cashBuffer?: number;
  /** Cap on each target weight, in (0, 1] (default 1: no cap); a capped excess stays in cash. */
  maxPositionWeight?: number;
  costs?: RebalanceCosts;
}

/** What `planRebalance` takes. Symbols are the object keys; key order never matters. */
export interface RebalanceRequest {
  /** Shares held per symbol (finite; negative = short, covered by a buy when rebalanced). */
  positions: Record<string, number>;
  /** Cash in the account, in currency (finite; negative = a margin debit, which buys never add to). */
  cash: number;
  /**
   * Last price per symbol (finite, > 0). Every symbol held (≠ 0 shares) or targeted (> 0) needs
   * one; prices of other symbols are checked but otherwise ignored.
   */
  prices: Record<string, number>;
  /**
   * Target weight per symbol, as a fraction of equity (0.25 = 25 %): each ≥ 0, summing to at most
   * 1; the rest is cash. A held symbol absent from the targets has target 0 and is sold.
   */
  targets: Record<string, number>;
  options?: RebalanceOptions;
}

/** The defaults of every option. */
export const REBALANCE_DEFAULTS = {
  allowFractional: false,
  driftThreshold: 0.05,
  minNotional: 100,
  cashBuffer: 0,
  maxPositionWeight: 1,
  costs: { commissionPerShare: 0, commissionBps: 0, commissionMinimum: 0, slippageBps: 0 },
} as const;

/** Why a name is traded. */
export type OrderReason =
  /** Weight outside the drift band (including a new position: current weight 0). */
  | 'drift'
  /** Held but absent from the targets: sold (or covered) entirely. */
  | 'not_targeted'
  /** Targeted at weight 0: sold (or covered) entirely. */
  | 'target_zero';

/** One planned order. Money fields are in currency, rounded to the cent. */
export interface PlannedOrder {
  symbol: string;
  side: 'buy' | 'sell';
  /**
   * Shares, > 0: a multiple of the quantity grid (1 share, or 1e-6 when allowFractional), except
   * on a full exit, which trades the whole holding, fraction included.
   */
  quantity: number;
  /** What the rebalance wanted before buys were scaled down to fit the cash (= quantity for sells). */
  wantedQuantity: number;
  /** The last price the order was planned at (slippage is reported apart, not folded in). */
  price: number;
  /** quantity × price, rounded to the cent (half to even). */
  notional: number;
  /** max(commissionMinimum, commissionPerShare × quantity + commissionBps/10⁴ × notional), rounded up to the cent. */
  estimatedCommission: number;
  /** slippageBps/10⁴ × notional, rounded up to the cent. */
  estimatedSlippage: number;
  /** Weight of the name before the plan: shares × price / equity before. */
  fromWeight: number;
  /** Weight of the name after the plan: shares after × price / equity after. */
  toWeight: number;
  /** The effective target the plan aimed at (after the position cap and the cash buffer). */
  targetWeight: number;
  reason: OrderReason;
  /** The reason in words, with the figures. */
  detail: string;
}

/** Why a name is not traded. */
export type SkipReason =
  /** |c − t| / t ≤ driftThreshold. */
  | 'within_drift_band'
  /** Nothing held and nothing targeted (needs no price). */
  | 'nothing_to_trade'
  /** The wanted change rounds to zero shares (less than one share, or a millionth when fractional). */
  | 'rounds_to_zero'
  /** The order's notional is below minNotional. */
  | 'under_min_notional'
  /** A sell whose commission and slippage would exceed its proceeds. */
  | 'costs_exceed_proceeds'
  /** A buy that no longer fits (or falls under minNotional) once buys are scaled to the cash available. */
  | 'insufficient_cash';

/** A name the plan leaves alone, and why. */
export interface SkippedName {
  symbol: string;
  reason: SkipReason;
  detail: string;
  /** Weight before (0 when the name needs no price and has none). */
  fromWeight: number;
  /** The effective target weight. */
  targetWeight: number;
}

/** One symbol after the plan. */
export interface ResultingPosition {
  symbol: string;
  /** Shares after the orders (0 after a full exit). */
  quantity: number;
  /** quantity × price (unrounded); 0 for a name without a price (which then holds nothing). */
  marketValue: number;
  /** marketValue / equity after. */
  weight: number;
}

/** Sums over the orders. */
export interface RebalanceTotals {
  /** Σ notional of sells. */
  sellNotional: number;
  /** Σ notional of buys. */
  buyNotional: number;
  /** Σ estimated commissions. */
  commission: number;
  /** Σ estimated slippage. */
  slippage: number;
  /** commission + slippage. */
  costs: number;
  /** Number of orders. */
  orderCount: number;
}

/** The plan: the orders, what is skipped, and the book as it would stand afterwards. */
export interface RebalancePlan {
  /** Sells first, then buys; each group sorted by symbol (code-unit order). */
  orders: PlannedOrder[];
  /** Names not traded, sorted by symbol. */
  skipped: SkippedName[];
  /** Every symbol of positions ∪ targets, sorted. */
  positions: ResultingPosition[];
  /** Cash before: as given. */
  cashBefore: number;
  /**
   * cash + Σ sells (notional − commission − slippage) − Σ buys (notional + commission + slippage).
   * Never negative when the starting cash is not: buys are scaled down to fit.
   */
  cashAfter: number;
  /** cashAfter / equityAfter. */
  cashWeight: number;
  /** cash + Σ shares × price before the plan. */
  equityBefore: number;
  /** cashAfter + Σ shares after × price: equityBefore minus the costs (and cent rounding). */
  equityAfter: number;
  /**
   * Σ |notional| over all orders / equityBefore: both sides counted, so selling all of A to buy
   * all of B is a turnover of 2.
   */
  turnover: number;
  totals: RebalanceTotals;
}

/** A request `planRebalance` refuses; the message names every bad value and what is valid. */
export class RebalanceInputError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'RebalanceInputError';
  }
}
