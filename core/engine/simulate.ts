/** The backtest engine: walks the calendar bar by bar, turning signals into fills on one cash balance. */
import type { Panel } from '../series/panel.js';
import { type BarView, executionPrices } from '../series/price-series.js';
import type { Strategy, StrategyParams } from '../strategies/strategy.js';
import type { EngineConfig } from './config.js';
import { decide, ENTER_LONG, ENTER_SHORT, EXIT } from './decide.js';
import { Ledger } from './ledger.js';
import { simulateSingle } from './simulate-single.js';
import { levelTicks } from './ticks.js';
import type { ExitReason, Fill, Trade } from './trade.js';

/** What the engine produces; metrics are computed from it (see backtest.ts). */
export interface Simulation {
  dates: string[];
  /** Equity at each calendar day's close (cash + positions at their last close). */
  equity: Float64Array;
  /** Gross position value / equity at each day's close. */
  exposure: Float64Array;
  /** Equal-weight buy-and-hold of the same symbols (adjusted closes), from the same cash. */
  benchmark: Float64Array;
  fills: Fill[];
  trades: Trade[];
  /** Σ |shares × price| over all fills. */
  tradedNotional: number;
  /** Cash plus positions at their last close, computed on the tick grid (exact for whole shares). */
  finalEquity: number;
  finalCash: number;
  /** Shares held at the end per symbol (negative = short). */
  finalShares: Record<string, number>;
  /** The price grid the run kept cash on: amounts are whole multiples of 1/scale. */
  scale: number;
  /** Net dividends credited to cash (adjusted views only; shorts pay them). */
  dividends: number;
  /** Splits applied to positions held across them (adjusted views only). */
  splitsApplied: number;
}

/**
 * Runs `strategy` over `panel` with `config`. The Ledger keeps cash exact on the tick grid;
 * curves (equity, exposure) are plain doubles: they feed statistics, not the book. A single
 * symbol with market entries and no protective exits (the common case, and every optimization
 * grid) takes a tight loop in simulate-single.ts that books through the same Ledger.
 */
export function simulate(
  strategy: Strategy,
  params: StrategyParams,
  panel: Panel,
  config: EngineConfig,
  /** Curves to write into instead of allocating (an optimizer reuses them across thousands of runs). */
  buffers?: { equity: Float64Array; exposure: Float64Array },
  /** 'general' forces the calendar loop (tests compare the two loops on the same runs). */
  loop: 'auto' | 'general' = 'auto',
): Simulation {
  const { views, dates } = panel;
  const N = views.length;
  const T = dates.length;
  const ledger = new Ledger(views, dates, config);
  const reuse =
    buffers !== undefined && buffers.equity.length === T && buffers.exposure.length === T;
  const equity = reuse ? buffers.equity : new Float64Array(T);
  const exposure = reuse ? buffers.exposure : new Float64Array(T);
  const lastClose = new Float64Array(N);
  const protective =
    config.stopLoss !== undefined ||
    config.takeProfit !== undefined ||
    config.trailingStop !== undefined;
  if (
    loop === 'auto' &&
    strategy.kind === 'per_symbol' &&
    N === 1 &&
    !protective &&
    config.entryOrder.type === 'market' &&
    config.sizing.kind !== 'volatility'
  ) {
    const view = views[0] as BarView;
    simulateSingle(ledger, view, strategy.signals(view, params), config, equity, exposure);
    const traded = executionPrices(view).close;
    lastClose[0] = traded[traded.length - 1] as number;
  } else {
    runCalendar(strategy, params, panel, config, ledger, equity, exposure, lastClose);
  }
  const book = ledger.finish(lastClose);
  // The curve's last point is the exact final equity, so metrics end on the same figure.
  if (T > 0) equity[T - 1] = book.finalEquity;
  return {
    dates,
    equity,
    exposure,
    benchmark: buyAndHoldCurve(panel, config.cash),
    fills: ledger.fills,
    trades: ledger.trades,
    tradedNotional: ledger.tradedNotional,
    ...book,
    scale: ledger.scale,
    dividends: ledger.dividendTicks / ledger.scale,
    splitsApplied: ledger.splitsApplied,
  };
}

/** The general loop: any number of symbols on one calendar, any order type, stops, rebalances. */
function runCalendar(
  strategy: Strategy,
  params: StrategyParams,
  panel: Panel,
  config: EngineConfig,
  ledger: Ledger,
  equity: Float64Array,
  exposure: Float64Array,
  lastClose: Float64Array,
): void {
  const { views, dates, barAt } = panel;
  const N = views.length;
  const T = dates.length;
  const S = ledger.scale;
  const { shares, entryTicks, extreme } = ledger;
  const longShort = config.direction === 'long_short';
  const atClose = config.fill === 'close';
  const entryType = config.entryOrder.type;
  const entryOffset = config.entryOrder.offsetBps / 10_000;
  const validBars = config.entryOrder.validBars;
  const { stopLoss, takeProfit, trailingStop } = config;
  const protective =
    stopLoss !== undefined || takeProfit !== undefined || trailingStop !== undefined;
  // Fills, stops and marks use the traded prices; signals come from the views' own prices.
  const traded = views.map(executionPrices);
  const closes = traded.map((prices) => prices.close);
  const actions = views.map((view) => view.traded);
  const pendExit = new Uint8Array(N);
  const pendEnter = new Int8Array(N);
  const pendLevel = new Float64Array(N);
  const pendUntil = new Int32Array(N);
  const enteredToday = new Uint8Array(N);
  let pendingWeights: Float64Array | null = null;

  const signals: Int8Array[] = [];
  // Rebalance targets by calendar day; null for per-symbol strategies (no lookups in the hot loop).
  let targetWeights: (Float64Array | null)[] | null = null;
  if (strategy.kind === 'per_symbol') {
    for (const view of views) signals.push(strategy.signals(view, params));
  } else {
    const targets = strategy.targets(panel, params);
    const byDay: (Float64Array | null)[] = new Array(T).fill(null);
    targets.days.forEach((day, k) => {
      byDay[day] = targets.weights[k] ?? null;
    });
    targetWeights = byDay;
  }

  const tickOf = (price: number) => ledger.ticks(price);
  const equityBefore = (t: number): number => (t > 0 ? (equity[t - 1] as number) : config.cash);

  /** Enters symbol j under the sizing rule. */
  const open = (j: number, t: number, rawTicks: number, direction: 1 | -1) => {
    const i = (barAt[j] as Int32Array)[t] as number;
    const budget = ledger.budget(equityBefore(t), () =>
      annualVolatility(
        views[j] as BarView,
        i,
        config.sizing.kind === 'volatility' ? config.sizing.lookback : 20,
      ),
    );
    if (ledger.open(j, t, rawTicks, direction, budget) > 0) enteredToday[j] = 1;
  };

  /** Moves every symbol towards `weights` at today's prices (open or close): sells first, then buys. */
  const rebalance = (t: number, weights: Float64Array, prices: 'open' | 'close') => {
    let equityTicks = ledger.cash;
    const priceTicks = new Float64Array(N);
    for (let j = 0; j < N; j++) {
      const i = (barAt[j] as Int32Array)[t] as number;
      const bars = traded[j] as (typeof traded)[number];
      priceTicks[j] = tickOf(
        i >= 0
          ? ((prices === 'open' ? bars.open : bars.close)[i] as number)
          : (lastClose[j] as number),
      );
      equityTicks += (shares[j] as number) * (priceTicks[j] as number);
    }
    const want = new Float64Array(N);
    for (let j = 0; j < N; j++) {
      const target = ((weights[j] as number) * equityTicks) / (priceTicks[j] as number);
      want[j] = config.fractional ? Math.floor(target * 1e6) / 1e6 : Math.floor(target);
    }
    for (let j = 0; j < N; j++) {
      if (((barAt[j] as Int32Array)[t] as number) < 0) continue;
      const held = shares[j] as number;
      if (held < 0) ledger.close(j, t, priceTicks[j] as number, 'rebalance', -held);
      else if (held > (want[j] as number))
        ledger.close(j, t, priceTicks[j] as number, 'rebalance', held - (want[j] as number));
    }
    for (let j = 0; j < N; j++) {
      if (((barAt[j] as Int32Array)[t] as number) < 0) continue;
      const add = (want[j] as number) - (shares[j] as number);
      if (add > 0)
        ledger.open(j, t, priceTicks[j] as number, 1, ledger.buyCost(add, priceTicks[j] as number));
    }
  };

  /** Stop-loss, take-profit and trailing stop against today's range; gaps fill at the open. */
  const protect = (j: number, t: number, i: number) => {
    const view = traded[j] as (typeof traded)[number];
    const position = shares[j] as number;
    const entry = (entryTicks[j] as number) / S;
    const o = view.open[i] as number;
    const h = view.high[i] as number;
    const l = view.low[i] as number;
    // Entered at this bar's open: the open is the entry, not a gap through the stop.
    const sameBar = enteredToday[j] === 1;
    const qty = Math.abs(position);
    if (position > 0) {
      let stop = Number.NEGATIVE_INFINITY;
      let stopReason: ExitReason = 'stop_loss';
      if (stopLoss !== undefined) stop = entry * (1 - stopLoss);
      if (trailingStop !== undefined) {
        const trail = (extreme[j] as number) * (1 - trailingStop);
        if (trail > stop) {
          stop = trail;
          stopReason = 'trailing_stop';
        }
      }
      const target = takeProfit !== undefined ? entry * (1 + takeProfit) : Number.POSITIVE_INFINITY;
      // Unknown order within the bar: when both levels are inside the range, assume the stop hit first.
      if (!sameBar && o <= stop) ledger.close(j, t, tickOf(o), stopReason, qty);
      else if (!sameBar && o >= target) ledger.close(j, t, tickOf(o), 'take_profit', qty);
      else if (l <= stop) ledger.close(j, t, levelTicks(stop, S, -1), stopReason, qty);
      else if (h >= target) ledger.close(j, t, levelTicks(target, S, -1), 'take_profit', qty);
      else if (h > (extreme[j] as number)) extreme[j] = h;
    } else {
      let stop = Number.POSITIVE_INFINITY;
      let stopReason: ExitReason = 'stop_loss';
      if (stopLoss !== undefined) stop = entry * (1 + stopLoss);
      if (trailingStop !== undefined) {
        const trail = (extreme[j] as number) * (1 + trailingStop);
        if (trail < stop) {
          stop = trail;
          stopReason = 'trailing_stop';
        }
      }
      const target = takeProfit !== undefined ? entry * (1 - takeProfit) : Number.NEGATIVE_INFINITY;
      if (!sameBar && o >= stop) ledger.close(j, t, tickOf(o), stopReason, qty);
      else if (!sameBar && o <= target) ledger.close(j, t, tickOf(o), 'take_profit', qty);
      else if (h >= stop) ledger.close(j, t, levelTicks(stop, S, 1), stopReason, qty);
      else if (l <= target) ledger.close(j, t, levelTicks(target, S, 1), 'take_profit', qty);
      else if (l < (extreme[j] as number)) extreme[j] = l;
    }
  };

  /** Tries a pending entry at bar i; true when it is done (filled, or expired unfilled). */
  const tryEntry = (j: number, t: number, i: number): boolean => {
    const view = traded[j] as (typeof traded)[number];
    const direction = pendEnter[j] as 1 | -1;
    if (i > (pendUntil[j] as number)) return true;
    const o = view.open[i] as number;
    if (entryType === 'market') {
      open(j, t, tickOf(o), direction);
      return true;
    }
    const level = pendLevel[j] as number;
    // A buy limit or a sell stop fills when price comes down to the level; the others when it rises.
    const fillsBelow = (entryType === 'limit') === (direction === 1);
    const side: 1 | -1 = direction === 1 ? 1 : -1;
    if (fillsBelow) {
      if (o <= level) open(j, t, tickOf(o), direction);
      else if ((view.low[i] as number) <= level)
        open(j, t, levelTicks(level, S, side === 1 ? -1 : 1), direction);
      else return false;
    } else if (o >= level) open(j, t, tickOf(o), direction);
    else if ((view.high[i] as number) >= level) open(j, t, levelTicks(level, S, side), direction);
    else return false;
    return true;
  };

  /** Turns today's signal code for symbol j into exits and entries (now, or queued for the next open). */
  const act = (j: number, t: number, i: number, code: number) => {
    const position = shares[j] as number;
    // A signal against a waiting limit/stop entry cancels it.
    if ((code === 1 || code === -2) && pendEnter[j] === -1) pendEnter[j] = 0;
    if ((code === -1 || code === 2) && pendEnter[j] === 1) pendEnter[j] = 0;
    const action = decide(code, position, longShort);
    const exit = (action & EXIT) !== 0;
    const enter = action & ENTER_LONG ? 1 : action & ENTER_SHORT ? -1 : 0;
    if (!exit && enter === 0) return;
    const view = traded[j] as (typeof traded)[number];
    if (atClose) {
      // Filling at the signal's own close: limit and stop entries have no later bar to wait for.
      const ticks = tickOf(view.close[i] as number);
      if (exit) ledger.close(j, t, ticks, 'signal', Math.abs(position));
      if (enter !== 0) open(j, t, ticks, enter as 1 | -1);
      return;
    }
    if (exit) pendExit[j] = 1;
    if (enter !== 0) {
      pendEnter[j] = enter;
      pendUntil[j] = i + validBars;
      const away = entryType === 'limit' ? -enter * entryOffset : enter * entryOffset;
      pendLevel[j] = (view.close[i] as number) * (1 + away);
    }
  };

  for (let t = 0; t < T; t++) {
    for (let j = 0; j < N; j++) {
      const bars = actions[j];
      if (bars === undefined || shares[j] === 0) continue;
      const i = (barAt[j] as Int32Array)[t] as number;
      // A split or dividend between a symbol's bars lands on its next bar, before any fill.
      if (i > 0 && (bars.split[i] !== 1 || bars.dividend[i] !== 0))
        ledger.corporateAction(
          j,
          bars.split[i] as number,
          bars.dividend[i] as number,
          bars.close[i - 1] as number,
        );
    }
    if (!atClose) {
      for (let j = 0; j < N; j++) {
        const i = (barAt[j] as Int32Array)[t] as number;
        if (i < 0 || pendExit[j] === 0) continue;
        pendExit[j] = 0;
        const held = shares[j] as number;
        if (held !== 0)
          ledger.close(
            j,
            t,
            tickOf((traded[j] as (typeof traded)[number]).open[i] as number),
            'signal',
            Math.abs(held),
          );
      }
      if (pendingWeights) {
        rebalance(t, pendingWeights, 'open');
        pendingWeights = null;
      }
      for (let j = 0; j < N; j++) {
        const i = (barAt[j] as Int32Array)[t] as number;
        if (i < 0 || pendEnter[j] === 0) continue;
        if (tryEntry(j, t, i)) pendEnter[j] = 0;
      }
    }
    if (protective) {
      for (let j = 0; j < N; j++) {
        const i = (barAt[j] as Int32Array)[t] as number;
        if (i >= 0 && shares[j] !== 0) protect(j, t, i);
      }
    }
    if (targetWeights === null) {
      for (let j = 0; j < N; j++) {
        const i = (barAt[j] as Int32Array)[t] as number;
        if (i < 0) continue;
        const code = (signals[j] as Int8Array)[i] as number;
        if (code !== 0) act(j, t, i, code);
      }
    } else {
      const weights = targetWeights[t];
      if (weights) {
        if (atClose) rebalance(t, weights, 'close');
        else pendingWeights = weights;
      }
    }
    let value = 0;
    let gross = 0;
    for (let j = 0; j < N; j++) {
      enteredToday[j] = 0;
      const i = (barAt[j] as Int32Array)[t] as number;
      if (i >= 0) lastClose[j] = (closes[j] as Float64Array)[i] as number;
      const held = shares[j] as number;
      if (held !== 0) {
        const worth = held * (lastClose[j] as number);
        value += worth;
        gross += Math.abs(worth);
      }
    }
    const total = ledger.cash / S + value;
    equity[t] = total;
    exposure[t] = total > 0 ? gross / total : 0;
  }
}

/** Annualised volatility of simple returns (adjusted closes) over the `lookback` bars before bar i. */
export function annualVolatility(view: BarView, i: number, lookback: number): number {
  const start = i - lookback;
  if (start < 1) return Number.NaN;
  let sum = 0;
  let sumSq = 0;
  for (let k = start; k < i; k++) {
    const r = (view.adjClose[k] as number) / (view.adjClose[k - 1] as number) - 1;
    sum += r;
    sumSq += r * r;
  }
  const mean = sum / lookback;
  const variance = (sumSq - lookback * mean * mean) / (lookback - 1);
  return Math.sqrt(Math.max(variance, 0) * 252);
}

const benchmarkCache = new WeakMap<Panel, Map<number, Float64Array>>();

/** Equal-weight buy-and-hold of every symbol on adjusted closes (cash until a symbol's first bar). */
function buyAndHoldCurve(panel: Panel, cash: number): Float64Array {
  let byCash = benchmarkCache.get(panel);
  if (!byCash) {
    byCash = new Map();
    benchmarkCache.set(panel, byCash);
  }
  const cached = byCash.get(cash);
  if (cached) return cached;
  const { views, dates, barAt } = panel;
  const curve = new Float64Array(dates.length);
  const ratio = new Float64Array(views.length).fill(1);
  for (let t = 0; t < dates.length; t++) {
    let sum = 0;
    for (let j = 0; j < views.length; j++) {
      const i = (barAt[j] as Int32Array)[t] as number;
      const adj = (views[j] as BarView).adjClose;
      if (i >= 0) ratio[j] = (adj[i] as number) / (adj[0] as number);
      sum += ratio[j] as number;
    }
    curve[t] = (cash * sum) / views.length;
  }
  byCash.set(cash, curve);
  return curve;
}
