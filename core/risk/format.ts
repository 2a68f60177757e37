/**
 * How risk messages write money, percents and quantities: `$25,400.00`, `23.4 %`, `1,250 AAPL`.
 * When a measured value and its limit differ but would print the same (a notional of
 * $10,000.004 against $10,000.00), the `…Beside` helpers add decimals until they differ, so a
 * message never says "$10,000.00 exceeds $10,000.00".
 */
import { Dec } from '../decimal.js';

type Num = Dec | number;

const MAX_EXTRA_DECIMALS = 6;

const formatters = new Map<string, Intl.NumberFormat>();

/** One Intl.NumberFormat per option set: building one costs ~50 µs, and risk checks format thousands of figures. */
function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat('en-US', options);
    formatters.set(key, format);
  }
  return format;
}

function toNumber(value: Num): number {
  return typeof value === 'number' ? value : value.toNumber();
}

function usd(value: Num, decimals: number): string {
  return numberFormat({
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
    signDisplay: 'negative',
  }).format(toNumber(value));
}

function percent(fraction: Num, minDecimals: number, maxDecimals: number): string {
  const digits = numberFormat({
    minimumFractionDigits: minDecimals,
    maximumFractionDigits: maxDecimals,
    signDisplay: 'negative',
  }).format(new Dec(fraction).times(100).toNumber());
  return `${digits} %`;
}

/** USD with thousands separators and 2 decimals (or `decimals`): `$25,400.00`, `-$1,200.50`. */
export function formatUsd(value: Num, decimals = 2): string {
  return usd(value, decimals);
}

/** A price: USD with 2 to 4 decimals (sub-penny prices exist below $1): `$150.00`, `$0.1234`. */
export function formatPrice(value: Num): string {
  return numberFormat({
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: 4,
    signDisplay: 'negative',
  }).format(toNumber(value));
}

/** A fraction as a percent with 1 decimal (or `decimals`): 0.234 → `23.4 %`. */
export function formatPercent(fraction: Num, decimals = 1): string {
  return percent(fraction, decimals, decimals);
}

/** A configured limit as a percent without trailing zeros: 0.2 → `20 %`, 0.125 → `12.5 %`. */
export function formatLimitPercent(fraction: Num): string {
  return percent(fraction, 0, 4);
}

/** A share count with thousands separators and up to 6 decimals: `1,250`, `0.5`. */
export function formatQuantity(quantity: Num): string {
  return numberFormat({ maximumFractionDigits: 6 }).format(toNumber(quantity));
}

function hours(value: Num, minDecimals: number, maxDecimals: number): string {
  const digits = numberFormat({
    minimumFractionDigits: minDecimals,
    maximumFractionDigits: maxDecimals,
  }).format(toNumber(value));
  return `${digits} h`;
}

/** Hours with 1 decimal: `2.5 h`. */
export function formatHours(value: Num): string {
  return hours(value, 1, 1);
}

/** A configured number of hours without trailing zeros: `96 h`, `0.25 h`. */
export function formatLimitHours(value: Num): string {
  return hours(value, 0, 4);
}

/** Seconds, whole unless fractional matters: `12 s`, `59.5 s`. */
export function formatSeconds(seconds: Num): string {
  return `${numberFormat({ maximumFractionDigits: 3 }).format(toNumber(seconds))} s`;
}

function beside(
  format: (value: Num, decimals: number) => string,
  value: Num,
  limit: Num,
  base: number,
): string {
  const v = new Dec(value);
  const l = new Dec(limit);
  for (let decimals = base; decimals < base + MAX_EXTRA_DECIMALS; decimals += 1) {
    if (v.eq(l) || format(v, decimals) !== format(l, decimals)) return format(v, decimals);
  }
  return format(v, base + MAX_EXTRA_DECIMALS);
}

/** `value` in USD, with more than 2 decimals only if needed to tell it apart from `limit`. */
export function formatUsdBeside(value: Num, limit: Num): string {
  return beside(usd, value, limit, 2);
}

/** Hours, with more than 1 decimal only if needed to tell them apart from `limit`. */
export function formatHoursBeside(value: Num, limit: Num): string {
  return beside((v, d) => hours(v, d, d), value, limit, 1);
}

/** `fraction` as a percent, with more than 1 decimal only if needed to tell it apart from `limit`. */
export function formatPercentBeside(fraction: Num, limit: Num): string {
  return beside((v, d) => percent(v, d, d), fraction, limit, 1);
}
