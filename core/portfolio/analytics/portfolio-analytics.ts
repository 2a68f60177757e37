/**
 * get_portfolio's numbers: value, weights and P&L of the book, historical beta, VaR and CVaR of
 * its current weights, and stress replays through past crashes.
 *
 * Money (market values, value, P&L) is computed exactly in decimals (core/decimal.ts) from the
 * numbers given and converted to numbers once; returns, beta and VaR are statistics and use
 * doubles. Only bars dated on or before asOf are ever read, so later bars change nothing.
 */
import { Dec } from '../../decimal.js';
import type { PriceSeries } from '../../series/price-series.js';
import { TRADING_DAYS } from '../types.js';
import { historicalVar } from './historical-var.js';
import { lastIndexAtOrBefore, replayStress, type StressHolding } from './stress.js';
import {
  ANALYTICS_DEFAULTS,
  MIN_RISK_OBSERVATIONS,
  type PortfolioAnalytics,
  PortfolioAnalyticsError,
  type PortfolioAnalyticsInput,
  type PositionFigures,
  type RiskFigures,
  type StressWindow,
} from './types.js';

const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const ZERO = new Dec(0);

function compareSymbols(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function cents(value: number): number {
  return new Dec(value).toDecimalPlaces(2, Dec.ROUND_HALF_EVEN).toNumber();
}

interface ResolvedOptions {
  lookback: number;
  confidence: number;
  stressWindows: readonly StressWindow[];
}

/** Checks every number and date of the input; all problems are reported together. */
function validate(input: PortfolioAnalyticsInput): ResolvedOptions {
  const problems: string[] = [];
  if (typeof input.asOf !== 'string' || !ISO_DATE.test(input.asOf)) {
    problems.push(`asOf must be an ISO date YYYY-MM-DD, got ${show(input.asOf)}`);
  }
  if (!isFiniteNumber(input.cash)) {
    problems.push(
      `cash must be a finite number (negative for a margin debit), got ${show(input.cash)}`,
    );
  }
  if (!Array.isArray(input.positions)) {
    problems.push(`positions must be an array, got ${show(input.positions)}`);
  } else {
    const seen = new Set<string>();
    input.positions.forEach((p, i) => {
      const where = `positions[${i}]${typeof p?.symbol === 'string' ? ` (${p.symbol})` : ''}`;
      if (typeof p?.symbol !== 'string' || p.symbol.trim() === '') {
        problems.push(`${where}.symbol must be a non-empty string, got ${show(p?.symbol)}`);
        return;
      }
      if (seen.has(p.symbol)) problems.push(`${p.symbol} appears twice in positions`);
      seen.add(p.symbol);
      if (!isFiniteNumber(p.quantity)) {
        problems.push(
          `${where}.quantity must be a finite number of shares, got ${show(p.quantity)}`,
        );
      }
      if (!isFiniteNumber(p.averageCost) || p.averageCost < 0) {
        problems.push(
          `${where}.averageCost must be a finite price ≥ 0, got ${show(p.averageCost)}`,
        );
      }
      if (p.realizedPnl !== undefined && !isFiniteNumber(p.realizedPnl)) {
        problems.push(`${where}.realizedPnl must be a finite amount, got ${show(p.realizedPnl)}`);
      }
    });
  }
  for (const [symbol, price] of Object.entries(input.prices ?? {}).sort(([a], [b]) =>
    compareSymbols(a, b),
  )) {
    if (!isFiniteNumber(price) || price <= 0) {
      problems.push(`prices.${symbol} must be a finite price > 0, got ${show(price)}`);
    }
  }
  if (!Array.isArray(input.history)) {
    problems.push('history must be an array of price series');
  } else {
    const seen = new Set<string>();
    for (const series of input.history) {
      if (seen.has(series.symbol)) problems.push(`history holds ${series.symbol} twice`);
      seen.add(series.symbol);
    }
  }
  if (!input.benchmark || !Array.isArray(input.benchmark.dates)) {
    problems.push('benchmark must be a price series');
  }
  const options = input.options ?? {};
  const lookback = options.lookback ?? ANALYTICS_DEFAULTS.lookback;
  if (!Number.isInteger(lookback) || lookback < MIN_RISK_OBSERVATIONS) {
    problems.push(
      `lookback must be a whole number of daily returns ≥ ${MIN_RISK_OBSERVATIONS}, got ${show(lookback)}`,
    );
  }
  const confidence = options.confidence ?? ANALYTICS_DEFAULTS.confidence;
  if (!isFiniteNumber(confidence) || confidence <= 0 || confidence >= 1) {
    problems.push(
      `confidence must be a fraction strictly between 0 and 1 (0.95 = 95 %), got ${show(confidence)}`,
    );
  }
  const stressWindows = options.stressWindows ?? ANALYTICS_DEFAULTS.stressWindows;
  for (const w of stressWindows) {
    if (!ISO_DATE.test(w.from) || !ISO_DATE.test(w.to) || w.from > w.to) {
      problems.push(
        `stress window ${show(w.name)} must run between two ISO dates, from ≤ to, got ${show(w.from)}..${show(w.to)}`,
      );
    }
  }
  if (problems.length > 0) throw new PortfolioAnalyticsError(problems.join('; '));
  return { lookback, confidence, stressWindows };
}

/** A held symbol's history cut at asOf, with the bar count on or before it. */
interface Held {
  symbol: string;
  series: PriceSeries;
  /** Bars on or before asOf: indices [0, bars). */
  bars: number;
  weight: number;
}

function adjusted(series: PriceSeries, i: number): number {
  const p = series.adjClose[i] as number;
  if (!(Number.isFinite(p) && p > 0)) {
    throw new PortfolioAnalyticsError(
      `${series.symbol} has an adjusted close of ${p} on ${series.dates[i]}: prices must be finite and > 0`,
    );
  }
  return p;
}

/**
 * Beta, volatility, VaR and CVaR of r_p,t = Σ w_i r_i,t over the last `lookback` returns of the
 * calendar shared by every held symbol and the benchmark (dates on which all of them have a bar,
 * on or before asOf; each return runs from one shared date to the next).
 */
function riskOf(
  held: readonly Held[],
  benchmark: PriceSeries,
  benchmarkBars: number,
  options: ResolvedOptions,
  value: number,
): { risk: RiskFigures | null; note: string | null } {
  // Walk back from asOf collecting shared dates (one pointer per held series).
  const pointers = held.map((h) => h.bars - 1);
  const rows: number[][] = [];
  const benchIndex: number[] = [];
  outer: for (let b = benchmarkBars - 1; b >= 0 && rows.length <= options.lookback; b--) {
    const day = benchmark.dates[b] as string;
    const row: number[] = [];
    for (let k = 0; k < held.length; k++) {
      const dates = (held[k] as Held).series.dates;
      let p = pointers[k] as number;
      while (p >= 0 && (dates[p] as string) > day) p--;
      pointers[k] = p;
      if (p < 0) break outer;
      if (dates[p] !== day) continue outer;
      row.push(p);
    }
    rows.push(row);
    benchIndex.push(b);
  }
  rows.reverse();
  benchIndex.reverse();
  const n = rows.length - 1;
  if (n < MIN_RISK_OBSERVATIONS) {
    const who = held.map((h) => h.symbol).join(', ');
    return {
      risk: null,
      note: `only ${Math.max(n, 0)} daily returns on or before ${benchmark.dates[benchmarkBars - 1]} are shared by ${who ? `${who} and ` : ''}the benchmark ${benchmark.symbol}; beta, volatility, VaR and CVaR need at least ${MIN_RISK_OBSERVATIONS}`,
    };
  }
  const rp = new Float64Array(n);
  const rb = new Float64Array(n);
  for (let t = 1; t <= n; t++) {
    const now = rows[t] as number[];
    const before = rows[t - 1] as number[];
    let r = 0;
    held.forEach((h, k) => {
      r +=
        h.weight *
        (adjusted(h.series, now[k] as number) / adjusted(h.series, before[k] as number) - 1);
    });
    rp[t - 1] = r;
    rb[t - 1] =
      adjusted(benchmark, benchIndex[t] as number) /
        adjusted(benchmark, benchIndex[t - 1] as number) -
      1;
  }
  let meanP = 0;
  let meanB = 0;
  for (let t = 0; t < n; t++) {
    meanP += rp[t] as number;
    meanB += rb[t] as number;
  }
  meanP /= n;
  meanB /= n;
  let cov = 0;
  let varB = 0;
  let varP = 0;
  for (let t = 0; t < n; t++) {
    const dp = (rp[t] as number) - meanP;
    const db = (rb[t] as number) - meanB;
    cov += dp * db;
    varB += db * db;
    varP += dp * dp;
  }
  const tail = historicalVar(rp, options.confidence);
  return {
    risk: {
      benchmark: benchmark.symbol,
      observations: n,
      from: benchmark.dates[benchIndex[1] as number] as string,
      to: benchmark.dates[benchIndex[n] as number] as string,
      confidence: options.confidence,
      beta: varB > 0 ? cov / varB : null,
      volatility: Math.sqrt((varP / (n - 1)) * TRADING_DAYS),
      var: { fraction: tail.var, amount: cents(tail.var * value) },
      cvar: { fraction: tail.cvar, amount: cents(tail.cvar * value) },
      tailCount: tail.tailCount,
    },
    note: null,
  };
}

/**
 * The analytics of a book on `asOf`. Positions are valued at `prices[symbol]` when given, else at
 * the close of the symbol's last bar on or before asOf; value = Σ quantity × price + cash (cash
 * may be negative: a margin debit). Weights are marketValue / value (negative for shorts), and
 * the risk and stress figures apply these current weights to history (see RiskFigures and
 * StressReplay for the formulas; cash earns 0).
 *
 * Throws PortfolioAnalyticsError for: non-finite numbers, a negative average cost, duplicate
 * symbols, a malformed asOf or option, a symbol held (quantity ≠ 0) with no series in history,
 * a held symbol or the benchmark with no bar on or before asOf, a price ≤ 0, or a portfolio value
 * ≤ 0 (weights are then meaningless).
 */
export function portfolioAnalytics(input: PortfolioAnalyticsInput): PortfolioAnalytics {
  const options = validate(input);
  const { asOf, benchmark } = input;
  const seriesBySymbol = new Map(input.history.map((s) => [s.symbol, s]));
  const positions = [...input.positions].sort((a, b) => compareSymbols(a.symbol, b.symbol));
  const given = input.prices ?? {};

  const problems: string[] = [];
  const benchmarkBars = lastIndexAtOrBefore(benchmark.dates, asOf) + 1;
  if (benchmarkBars === 0) {
    problems.push(
      benchmark.dates.length === 0
        ? `the benchmark ${benchmark.symbol} has no bars`
        : `the benchmark ${benchmark.symbol} has no bars on or before asOf ${asOf}; its data starts ${benchmark.dates[0]}`,
    );
  }

  interface Priced {
    price: Dec | null;
    source: 'given' | 'history' | null;
    date: string | null;
    bars: number;
    series: PriceSeries | undefined;
  }
  const priced: Priced[] = positions.map((p) => {
    const series = seriesBySymbol.get(p.symbol);
    const bars = series ? lastIndexAtOrBefore(series.dates, asOf) + 1 : 0;
    if (p.quantity !== 0) {
      if (!series) {
        problems.push(
          `no price history for ${p.symbol} (${p.quantity} shares held): pass its series in history`,
        );
      } else if (bars === 0) {
        problems.push(
          series.dates.length === 0
            ? `${p.symbol} has no bars in its history`
            : `${p.symbol} has no bars on or before asOf ${asOf}; its data starts ${series.dates[0]}`,
        );
      }
    }
    if (Object.hasOwn(given, p.symbol)) {
      return {
        price: new Dec(given[p.symbol] as number),
        source: 'given',
        date: null,
        bars,
        series,
      };
    }
    if (series && bars > 0) {
      const close = series.close[bars - 1] as number;
      if (!(Number.isFinite(close) && close > 0)) {
        problems.push(
          `${p.symbol} closed at ${close} on ${series.dates[bars - 1]}: prices must be finite and > 0`,
        );
        return { price: null, source: null, date: null, bars, series };
      }
      return {
        price: new Dec(close),
        source: 'history',
        date: series.dates[bars - 1] as string,
        bars,
        series,
      };
    }
    return { price: null, source: null, date: null, bars, series };
  });
  if (problems.length > 0) throw new PortfolioAnalyticsError(problems.join('; '));

  // Money, exactly.
  const cash = new Dec(input.cash);
  const marketValues = positions.map((p, k) => {
    const price = (priced[k] as Priced).price;
    return price ? price.times(p.quantity) : ZERO;
  });
  const invested = marketValues.reduce((acc, v) => acc.plus(v), ZERO);
  const value = invested.plus(cash);
  if (!value.isPositive() || value.isZero()) {
    throw new PortfolioAnalyticsError(
      `portfolio value (Σ quantity × price + cash) must be > 0 to compute weights, got ${value.toString()}`,
    );
  }
  let unrealized = ZERO;
  let realized = ZERO;
  let gross = ZERO;
  const weights: Record<string, number> = {};
  const figures: PositionFigures[] = positions.map((p, k) => {
    const { price, source, date } = priced[k] as Priced;
    const mv = marketValues[k] as Dec;
    const weight = mv.div(value).toNumber();
    const basis = new Dec(p.averageCost).times(Math.abs(p.quantity));
    const pnl = price ? price.minus(p.averageCost).times(p.quantity) : ZERO;
    const realizedPnl = new Dec(p.realizedPnl ?? 0);
    unrealized = unrealized.plus(pnl);
    realized = realized.plus(realizedPnl);
    gross = gross.plus(mv.abs());
    weights[p.symbol] = weight;
    return {
      symbol: p.symbol,
      quantity: p.quantity,
      averageCost: p.averageCost,
      price: price ? price.toNumber() : null,
      priceSource: source,
      priceDate: date,
      marketValue: mv.toNumber(),
      weight,
      costBasis: basis.toNumber(),
      unrealizedPnl: pnl.toNumber(),
      unrealizedPnlPct: basis.isZero() ? null : pnl.div(basis).toNumber(),
      realizedPnl: realizedPnl.toNumber(),
    };
  });

  const held: Held[] = [];
  positions.forEach((p, k) => {
    const { series, bars } = priced[k] as Priced;
    if (p.quantity !== 0 && series) {
      held.push({ symbol: p.symbol, series, bars, weight: (figures[k] as PositionFigures).weight });
    }
  });
  const valueNumber = value.toNumber();
  const { risk, note } = riskOf(held, benchmark, benchmarkBars, options, valueNumber);
  const stressHoldings: StressHolding[] = held.map((h) => ({
    symbol: h.symbol,
    weight: h.weight,
    series: h.series,
  }));
  const stress = options.stressWindows.map((w) =>
    replayStress(w, stressHoldings, benchmark, asOf, valueNumber),
  );

  return {
    asOf,
    value: valueNumber,
    cash: cash.toNumber(),
    cashWeight: cash.div(value).toNumber(),
    grossExposure: gross.div(value).toNumber(),
    netExposure: invested.div(value).toNumber(),
    positions: figures,
    weights,
    unrealizedPnl: unrealized.toNumber(),
    realizedPnl: realized.toNumber(),
    risk,
    riskNote: note,
    stress,
  };
}
