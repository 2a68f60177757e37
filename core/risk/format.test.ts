/** Money, percent, quantity and hour formatting in risk messages. */
import { describe, expect, it } from 'vitest';
import { Dec } from '../decimal.js';
import {
  formatHoursBeside,
  formatLimitHours,
  formatLimitPercent,
  formatPercent,
  formatPercentBeside,
  formatPrice,
  formatQuantity,
  formatUsd,
  formatUsdBeside,
} from './format.js';

describe('formatting', () => {
  it('writes USD with thousands separators and 2 decimals', () => {
    expect(formatUsd(25_400)).toBe('$25,400.00');
    expect(formatUsd(new Dec('-1200.5'))).toBe('-$1,200.50');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-0.001)).toBe('$0.00');
  });

  it('writes percents with 1 decimal, and limits without trailing zeros', () => {
    expect(formatPercent(0.234)).toBe('23.4 %');
    expect(formatPercent(-0.0001)).toBe('0.0 %');
    expect(formatLimitPercent(0.2)).toBe('20 %');
    expect(formatLimitPercent(0.125)).toBe('12.5 %');
  });

  it('adds decimals only when the value would otherwise print like its limit', () => {
    expect(formatUsdBeside(10_000.004, 10_000)).toBe('$10,000.004');
    expect(formatUsdBeside(10_000, 10_000)).toBe('$10,000.00');
    expect(formatUsdBeside(12_000, 10_000)).toBe('$12,000.00');
    expect(formatPercentBeside(0.2504, 0.25)).toBe('25.04 %');
    expect(formatPercentBeside(0.2496, 0.25)).toBe('24.96 %');
    expect(formatPercentBeside(0.3, 0.25)).toBe('30.0 %');
    expect(formatHoursBeside(96.5, 96)).toBe('96.5 h');
    expect(formatLimitHours(0.25)).toBe('0.25 h');
  });

  it('writes quantities with separators and up to 6 decimals', () => {
    expect(formatQuantity(1250)).toBe('1,250');
    expect(formatQuantity(0.5)).toBe('0.5');
  });
});

describe('formatPrice', () => {
  it('writes prices with 2 to 4 decimals', () => {
    expect(formatPrice(150)).toBe('$150.00');
    expect(formatPrice(0.1234)).toBe('$0.1234');
    expect(formatPrice(3333.335)).toBe('$3,333.335');
  });
});
