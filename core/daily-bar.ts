/** A daily OHLCV bar and the rules every stored bar satisfies. */
import { type Dec, isDecimalText } from './decimal.js';

/** One trading day of one symbol, as traded (open/high/low/close) plus the adjusted close. */
export interface DailyBar {
  symbol: string;
  /** ISO date, YYYY-MM-DD (the exchange's trading day; no time zone). */
  date: string;
  open: Dec;
  high: Dec;
  low: Dec;
  close: Dec;
  /** Close adjusted for splits and dividends; scale open/high/low by adjClose/close for an adjusted view. */
  adjClose: Dec;
  volume: bigint;
  /** Cash dividend paid that day (0 on most days). */
  dividend: Dec;
  /** Split coefficient that day (1 on most days; 2 for a 2-for-1 split). */
  split: Dec;
}

/** The text fields of one bar as read from a file, before any conversion. */
export interface BarText {
  date: string;
  open: string;
  high: string;
  low: string;
  close: string;
  adjClose: string;
  volume: string;
  dividend: string;
  split: string;
}

/** Why a bar was refused: the column, the value found and the rule it broke. */
export interface BarProblem {
  column: keyof BarText;
  value: string;
  reason: string;
}

const SYMBOL = /^[A-Z0-9][A-Z0-9.-]{0,19}$/;

/** True for a ticker such as AAPL or BRK.B (upper-case letters, digits, dot, dash; 1-20 characters). */
export function isValidSymbol(symbol: string): boolean {
  return SYMBOL.test(symbol);
}

/** True when `text` is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= 1800 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day
  );
}

const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'adjClose'] as const;

/**
 * Checks one bar's fields on their own (ordering across rows is the reader's job). Returns the
 * first problem, or undefined when the bar is valid. Volume may be written `123.0` (some
 * exporters do) but must be a whole number of shares.
 */
export function checkBar(bar: BarText): BarProblem | undefined {
  if (!isIsoDate(bar.date)) {
    return { column: 'date', value: bar.date, reason: 'not a date in the form YYYY-MM-DD' };
  }
  const numbers: Partial<Record<keyof BarText, number>> = {};
  for (const column of [...PRICE_COLUMNS, 'volume', 'dividend', 'split'] as const) {
    const value = bar[column];
    if (!isDecimalText(value)) {
      return { column, value, reason: 'not a number' };
    }
    const number = Number(value);
    if (number < 0) return { column, value, reason: 'negative; must be ≥ 0' };
    numbers[column] = number;
  }
  const { open = 0, high = 0, low = 0, close = 0, volume = 0, split = 0 } = numbers;
  for (const column of ['open', 'high', 'low', 'close', 'adjClose'] as const) {
    if ((numbers[column] ?? 0) === 0)
      return { column, value: bar[column], reason: 'zero; a traded price must be > 0' };
  }
  if (high < low)
    return { column: 'high', value: bar.high, reason: `below low ${bar.low}; high must be ≥ low` };
  if (close < low || close > high) {
    return {
      column: 'close',
      value: bar.close,
      reason: `outside [low, high] = [${bar.low}, ${bar.high}]`,
    };
  }
  if (open < low || open > high) {
    return {
      column: 'open',
      value: bar.open,
      reason: `outside [low, high] = [${bar.low}, ${bar.high}]`,
    };
  }
  if (!Number.isInteger(volume)) {
    return { column: 'volume', value: bar.volume, reason: 'not a whole number of shares' };
  }
  if (split === 0)
    return {
      column: 'split',
      value: bar.split,
      reason: 'zero; a split coefficient must be > 0 (1 on days without a split)',
    };
  return undefined;
}
