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

/** True when `text` is a real calendar date written YYYY-MM-DD (from 1800 on). */
export function isIsoDate(text: string): boolean {
  // Hand-rolled rather than `new Date(...)`: the importer calls this once per row, millions of times.
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  if (year < 1800 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days =
    month === 2
      ? leap
        ? 29
        : 28
      : month === 4 || month === 6 || month === 9 || month === 11
        ? 30
        : 31;
  return day <= days;
}

/** The number written in text[start, end) when it is all ASCII digits, else -1. */
function digits(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}

/** The value of a decimal text, or NaN when it is not a plain decimal number. */
function decimalValue(text: string): number {
  return isDecimalText(text) ? Number(text) : Number.NaN;
}

/**
 * Checks one bar's fields on their own (ordering across rows is the reader's job). Returns the
 * first problem, or undefined when the bar is valid. Volume may be written `123.0` (some
 * exporters do) but must be a whole number of shares.
 */
export function checkBar(bar: BarText): BarProblem | undefined {
  if (!isIsoDate(bar.date)) {
    return { column: 'date', value: bar.date, reason: 'not a date in the form YYYY-MM-DD' };
  }
  const open = decimalValue(bar.open);
  const high = decimalValue(bar.high);
  const low = decimalValue(bar.low);
  const close = decimalValue(bar.close);
  const adjClose = decimalValue(bar.adjClose);
  const volume = decimalValue(bar.volume);
  const dividend = decimalValue(bar.dividend);
  const split = decimalValue(bar.split);
  const positive: [keyof BarText, number][] = [
    ['open', open],
    ['high', high],
    ['low', low],
    ['close', close],
    ['adjClose', adjClose],
  ];
  for (const [column, value] of positive) {
    if (!(value > 0)) return numberProblem(bar, column, value, 'a traded price must be > 0');
  }
  if (!(volume >= 0)) return numberProblem(bar, 'volume', volume, 'volume must be ≥ 0');
  if (!(dividend >= 0)) return numberProblem(bar, 'dividend', dividend, 'a dividend must be ≥ 0');
  if (!(split > 0))
    return numberProblem(
      bar,
      'split',
      split,
      'a split coefficient must be > 0 (1 on days without a split)',
    );
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
  return undefined;
}

function numberProblem(
  bar: BarText,
  column: keyof BarText,
  value: number,
  rule: string,
): BarProblem {
  const text = bar[column];
  if (Number.isNaN(value)) return { column, value: text, reason: 'not a number' };
  return { column, value: text, reason: `${value < 0 ? 'negative' : 'zero'}; ${rule}` };
}
