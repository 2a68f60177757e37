/** The book of a backtest: exact cash, positions, fills and round-trip trades, shared by both engine loops. */
import { type BarView, executionPrices } from '../series/price-series.js';
import type { EngineConfig } from './config.js';
import { ExactRangeError, floorDiv, slipTicks } from './ticks.js';
import type { ExitReason, Fill, Trade } from './trade.js';

const SHARE_STEP = 1e6; // fractional shares are rounded down to a millionth

/**
 * Cash is an integer count of ticks (1/scale of the currency) held in a double: every fill amount
 * is shares × a tick price and commissions are rounded to the cent, so cash stays exact — no
 * float drift across thousands of fills — and is checked to stay within 2^53.
 */
export class Ledger {
  /** Ticks per currency unit: the finest price grid of any symbol, at least cents. */
  readonly scale: number;
  cash: number;
  readonly shares: Float64Array;
  readonly entryTicks: Float64Array;
  readonly entryCommission: Float64Array;
  readonly entryDay: Int32Array;
  /** Dividends the open position has received (paid, when short), in ticks; part of its trade's pnl. */
  readonly entryIncome: Float64Array;
  /** Highest high (long) or lowest low (short) since entry, for trailing stops. */
  readonly extreme: Float64Array;
  readonly fills: Fill[] = [];
  readonly trades: Trade[] = [];
  tradedNotional = 0;
  /** Net dividends credited to cash over the run (negative when shorts paid more), in ticks. */
  dividendTicks = 0;
  /** Splits applied to a position held across them. */
  splitsApplied = 0;

  constructor(
    private readonly views: readonly BarView[],
    private readonly dates: readonly string[],
    private readonly config: EngineConfig,
  ) {
    let scale = 100;
    // Cash books at the prices fills use: the traded ones, in an adjusted view.
    for (const view of views) scale = Math.max(scale, executionPrices(view).scale);
    this.scale = scale;
    this.cash = Math.round(config.cash * 100) * (scale / 100);
    const n = views.length;
    this.shares = new Float64Array(n);
    this.entryTicks = new Float64Array(n);
    this.entryCommission = new Float64Array(n);
    this.entryDay = new Int32Array(n);
    this.entryIncome = new Float64Array(n);
    this.extreme = new Float64Array(n);
  }

  /** A price on this ledger's tick grid; exact because every view's decimals fit the grid. */
  ticks(price: number): number {
    return Math.round(price * this.scale);
  }

  /** Commission in ticks: per share plus basis points of notional, at least the minimum, rounded to the cent. */
  commissionTicks(qty: number, notionalTicks: number): number {
    if (qty === 0) return 0;
    const { perShare, bps, minimum } = this.config.commission;
    const amount = Math.max(minimum, perShare * qty + (bps * notionalTicks) / this.scale / 10_000);
    return Math.round(amount * 100) * (this.scale / 100);
  }

  /** Shares × price in ticks; fractional holdings round the notional to the tick. */
  private notional(qty: number, ticks: number): number {
    return Number.isInteger(qty) ? qty * ticks : Math.round(qty * ticks);
  }

  private cost(qty: number, ticks: number): number {
    const notional = this.notional(qty, ticks);
    return notional + this.commissionTicks(qty, notional);
  }

  /** The most shares whose cost (with commission) fits in `budget` ticks at `ticks` per share. */
  private sharesFor(budget: number, ticks: number): number {
    const { perShare, bps, minimum } = this.config.commission;
    const fractional = this.config.fractional;
    let qty: number;
    if (!fractional && bps === 0 && perShare === 0 && minimum === 0) return floorDiv(budget, ticks);
    // A first guess that already pays the proportional and per-share costs, then trimmed to fit.
    const unit = ticks * (1 + bps / 10_000) + perShare * this.scale;
    const spendable = Math.max(0, budget - minimum * this.scale);
    qty = fractional
      ? Math.floor((spendable / unit) * SHARE_STEP) / SHARE_STEP
      : Math.floor(spendable / unit) + 1;
    while (qty > 0 && this.cost(qty, ticks) > budget) {
      qty = fractional ? Math.floor(qty * SHARE_STEP - 1) / SHARE_STEP : qty - 1;
    }
    // The guess may fall short when the minimum commission is not the binding cost: top it up.
    if (!fractional) while (this.cost(qty + 1, ticks) <= budget) qty += 1;
    return Math.max(qty, 0);
  }

  private record(
    j: number,
    t: number,
    side: 1 | -1,
    qty: number,
    ticks: number,
    rawTicks: number,
    commission: number,
    reason: Fill['reason'],
  ): void {
    const S = this.scale;
    this.tradedNotional += (qty * ticks) / S;
    this.fills.push({
      symbol: (this.views[j] as BarView).symbol,
      date: this.dates[t] as string,
      side: side === 1 ? 'buy' : 'sell',
      shares: qty,
      price: ticks / S,
      commission: commission / S,
      slippage: (Math.abs(ticks - rawTicks) * qty) / S,
      reason,
    });
  }

  private checkCash(): void {
    if (!Number.isSafeInteger(this.cash)) throw new ExactRangeError('cash', this.cash, this.scale);
  }

  /** Closes `qty` shares of symbol j's position on day t at a raw tick price (slippage applied here). */
  close(j: number, t: number, rawTicks: number, reason: ExitReason, qty: number): void {
    const position = this.shares[j] as number;
    const side: 1 | -1 = position > 0 ? -1 : 1;
    const ticks = slipTicks(rawTicks, this.config.slippageBps, side);
    const notional = this.notional(qty, ticks);
    const commission = this.commissionTicks(qty, notional);
    this.cash += side === -1 ? notional - commission : -notional - commission;
    this.checkCash();
    this.record(j, t, side, qty, ticks, rawTicks, commission, reason);
    const entryCost = ((this.entryCommission[j] as number) * qty) / Math.abs(position);
    const income = ((this.entryIncome[j] as number) * qty) / Math.abs(position);
    this.pushTrade(j, t, ticks, qty, entryCost + commission - income, reason);
    this.entryCommission[j] = (this.entryCommission[j] as number) - entryCost;
    this.entryIncome[j] = (this.entryIncome[j] as number) - income;
    const left = Math.abs(position) - qty;
    this.shares[j] = left <= 1e-9 ? 0 : Math.sign(position) * left;
  }

  /**
   * Buys (direction 1) or shorts (−1) symbol j on day t at a raw tick price, spending at most
   * `budget` ticks (and never more than the cash there is). Returns the shares filled (0: too little cash).
   */
  open(j: number, t: number, rawTicks: number, direction: 1 | -1, budget: number): number {
    const ticks = slipTicks(rawTicks, this.config.slippageBps, direction);
    const qty = this.sharesFor(Math.min(Math.max(this.cash, 0), budget), ticks);
    if (qty <= 0) return 0;
    const notional = this.notional(qty, ticks);
    const commission = this.commissionTicks(qty, notional);
    this.cash += direction === 1 ? -notional - commission : notional - commission;
    this.checkCash();
    this.record(j, t, direction, qty, ticks, rawTicks, commission, 'entry');
    const held = Math.abs(this.shares[j] as number);
    if (held === 0) {
      this.entryTicks[j] = ticks;
      this.entryCommission[j] = commission;
      this.entryIncome[j] = 0;
      this.entryDay[j] = t;
      this.extreme[j] = ticks / this.scale;
    } else {
      this.entryTicks[j] = ((this.entryTicks[j] as number) * held + ticks * qty) / (held + qty);
      this.entryCommission[j] = (this.entryCommission[j] as number) + commission;
    }
    this.shares[j] = direction * (held + qty);
    return qty;
  }

  /**
   * Applies day t's split and dividend to symbol j's position held from the day before: shares
   * × split (a fraction of a share the position cannot hold is paid out at the split-adjusted
   * prior close, as brokers pay cash in lieu), then dividend × shares to cash (a short pays it).
   * Entry price and trailing extreme are restated per new share, so stops keep their level.
   */
  corporateAction(j: number, split: number, dividend: number, priorClose: number): void {
    const held = this.shares[j] as number;
    if (held === 0) return;
    const S = this.scale;
    if (split !== 1) {
      const exact = held * split;
      const step = this.config.fractional ? SHARE_STEP : 1;
      const kept = (Math.sign(exact) * Math.floor(Math.abs(exact) * step + 1e-9)) / step;
      const lieu = Math.round((exact - kept) * (priorClose / split) * S);
      this.cash += lieu;
      this.entryIncome[j] = (this.entryIncome[j] as number) + lieu;
      this.shares[j] = kept;
      this.entryTicks[j] = (this.entryTicks[j] as number) / split;
      this.extreme[j] = (this.extreme[j] as number) / split;
      this.splitsApplied++;
    }
    if (dividend !== 0) {
      const paid = Math.round((this.shares[j] as number) * dividend * S);
      this.cash += paid;
      this.dividendTicks += paid;
      this.entryIncome[j] = (this.entryIncome[j] as number) + paid;
    }
    this.checkCash();
  }

  /** The most ticks an entry of symbol j may spend under the sizing rule, given equity before the fill. */
  budget(equityBefore: number, volatility: () => number): number {
    const sizing = this.config.sizing;
    const S = this.scale;
    if (sizing.kind === 'fraction') return sizing.fraction * equityBefore * S;
    if (sizing.kind === 'notional') return sizing.amount * S;
    if (sizing.kind === 'volatility') {
      const vol = volatility();
      return vol > 0 ? ((sizing.target * equityBefore) / vol) * S : 0;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Cost in ticks of buying `qty` more shares at a raw price after slippage (for rebalances). */
  buyCost(qty: number, rawTicks: number): number {
    return this.cost(qty, slipTicks(rawTicks, this.config.slippageBps, 1));
  }

  private pushTrade(
    j: number,
    t: number,
    exitTicks: number,
    qty: number,
    costs: number,
    reason: ExitReason,
  ): void {
    const direction = (this.shares[j] as number) > 0 ? 1 : -1;
    const entry = this.entryTicks[j] as number;
    const pnlTicks = direction * (exitTicks - entry) * qty - costs;
    const S = this.scale;
    this.trades.push({
      symbol: (this.views[j] as BarView).symbol,
      direction: direction > 0 ? 'long' : 'short',
      entryDate: this.dates[this.entryDay[j] as number] as string,
      entryPrice: entry / S,
      exitDate: this.dates[t] as string,
      exitPrice: exitTicks / S,
      quantity: qty,
      pnl: pnlTicks / S,
      returnPct: pnlTicks / (entry * qty),
      bars: t - (this.entryDay[j] as number),
      exitReason: reason,
    });
  }

  /**
   * Ends the run: positions still open count as trades marked at their last close (exit reason
   * end_of_data, no fill). Returns cash plus positions at `lastClose`, on the tick grid.
   */
  finish(lastClose: Float64Array): {
    finalEquity: number;
    finalCash: number;
    finalShares: Record<string, number>;
  } {
    let total = this.cash;
    const finalShares: Record<string, number> = {};
    const last = this.dates.length - 1;
    for (let j = 0; j < this.views.length; j++) {
      const held = this.shares[j] as number;
      if (held === 0) continue;
      const ticks = this.ticks(lastClose[j] as number);
      total += this.notional(Math.abs(held), ticks) * Math.sign(held);
      finalShares[(this.views[j] as BarView).symbol] = held;
      this.pushTrade(
        j,
        last,
        ticks,
        Math.abs(held),
        (this.entryCommission[j] as number) - (this.entryIncome[j] as number),
        'end_of_data',
      );
    }
    return { finalEquity: total / this.scale, finalCash: this.cash / this.scale, finalShares };
  }
}
