/** Exact decimal numbers for prices, quantities, cash and P&L (never binary floats at the edges). */
import { Decimal } from 'decimal.js';

/**
 * The decimal type used outside hot loops. 34 significant digits (IEEE 754 decimal128) is far
 * beyond any price or share count; banker's rounding avoids a systematic bias when cents are
 * rounded many times over (ledgers, commissions).
 */
export const Dec = Decimal.clone({ precision: 34, rounding: Decimal.ROUND_HALF_EVEN });
export type Dec = Decimal;

const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** True when `text` is a plain decimal number (what PostgreSQL's NUMERIC accepts, minus NaN and Infinity). */
export function isDecimalText(text: string): boolean {
  return DECIMAL_TEXT.test(text);
}

/** Parses a decimal string (as PostgreSQL returns NUMERIC) into Dec; throws on anything else. */
export function toDec(text: string): Dec {
  if (!isDecimalText(text)) throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
  return new Dec(text);
}
